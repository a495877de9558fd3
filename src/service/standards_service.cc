#include "service/standards_service.h"

#include <map>
#include <string>
#include <vector>

#include "app/standards.h"

namespace pathwise::service {
namespace {

template <typename Map>
void CountsToProto(const std::map<std::string, size_t>& counts, Map* out) {
  for (const auto& [key, count] : counts) (*out)[key] = count;
}

}  // namespace

grpc::Status StandardsServiceImpl::ImportLearningRecords(
    grpc::ServerContext* context, const v1::ImportLearningRecordsRequest* request,
    v1::ImportLearningRecordsResponse* response) {
  return RunRpc("ImportLearningRecords", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    app::ImportLearningRecordsCall call;
    switch (request->format()) {
      case v1::ImportLearningRecordsRequest::XAPI:
        call.format = app::LearningRecordFormat::kXapi;
        break;
      case v1::ImportLearningRecordsRequest::CALIPER:
        call.format = app::LearningRecordFormat::kCaliper;
        break;
      default:
        return Status::InvalidArgument("format: give XAPI or CALIPER");
    }
    if (request->records_json().empty()) {
      return Status::InvalidArgument("records_json: required (the statements or events as JSON)");
    }
    PATHWISE_RETURN_IF_ERROR(app::CheckCount(request->activity_map_size(),
                                             env_.limits->max_graph_items, "activity_map"));
    for (const auto& [iri, activity] : request->activity_map()) {
      if (iri.empty()) return Status::InvalidArgument("activity_map: an empty IRI");
      PATHWISE_RETURN_IF_ERROR(
          app::ValidateId(activity, "activity_map['" + iri + "']", *env_.limits));
      call.options.activity_map.emplace(iri, activity);
    }
    call.options.account_home_page = request->account_home_page();
    call.options.completion_as_outcome = request->completion_as_outcome();
    call.text = request->records_json();
    call.dry_run = request->dry_run();
    PATHWISE_ASSIGN_OR_RETURN(app::ImportLearningRecordsOutcome outcome,
                              app::ImportLearningRecords(*tenant, call, *env_.limits));
    const LearningRecordReport& report = outcome.report;
    response->set_records_read(report.records_read);
    response->set_accepted(report.accepted);
    CountsToProto(report.skipped, response->mutable_skipped());
    CountsToProto(report.skipped_by_verb, response->mutable_skipped_by_verb());
    response->set_voiding(report.voiding);
    for (const std::string& id : report.voided_in_batch) response->add_voided_in_batch(id);
    response->set_recorded(outcome.recorded);
    response->set_duplicates(outcome.duplicates);
    for (const std::string& id : outcome.learners) response->add_learner_ids(id);
    for (const std::string& id : outcome.new_learners) response->add_new_learner_ids(id);
    for (const app::VoidedEvent& e : outcome.voided.removed) {
      v1::VoidedEvent* out = response->add_voided_events();
      out->set_learner_id(e.learner_id);
      out->set_event_id(e.event_id);
    }
    for (const std::string& id : outcome.voided.not_found) response->add_voided_not_found(id);
    response->set_learners_rescored(outcome.voided.learners_rescored);
    response->set_dry_run(call.dry_run);
    return Status::Ok();
  });
}

grpc::Status StandardsServiceImpl::ImportFramework(grpc::ServerContext* context,
                                                   const v1::ImportFrameworkRequest* request,
                                                   v1::ImportFrameworkResponse* response) {
  return RunRpc("ImportFramework", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    app::ImportFrameworkCall call;
    switch (request->format()) {
      case v1::ImportFrameworkRequest::CASE:
        call.format = app::FrameworkFormat::kCase;
        break;
      case v1::ImportFrameworkRequest::EDFI:
        call.format = app::FrameworkFormat::kEdFi;
        break;
      default:
        return Status::InvalidArgument("format: give CASE or EDFI");
    }
    if (request->document().empty()) {
      return Status::InvalidArgument("document: required (the CFPackage or learning standards)");
    }
    if (request->case_version().empty() || request->case_version() == "1.1") {
      call.case_version = CaseVersion::kV1p1;
    } else if (request->case_version() == "1.0") {
      call.case_version = CaseVersion::kV1p0;
    } else {
      return Status::InvalidArgument("case_version: \"1.0\" or \"1.1\", got \"" +
                                     request->case_version() + "\"");
    }
    if (request->has_expected_version()) {
      if (request->expected_version() < 0) {
        return Status::InvalidArgument(
            "expected_version: must be >= 0 (0: the tenant has no graph yet), got " +
            std::to_string(request->expected_version()));
      }
      call.expected_version = request->expected_version();
    }
    call.text = request->document();
    call.dry_run = request->dry_run();
    PATHWISE_ASSIGN_OR_RETURN(app::ImportFrameworkOutcome outcome,
                              app::ImportFramework(*tenant, call, *env_.limits));
    response->set_version(outcome.graph.version);
    response->set_competencies(static_cast<int32_t>(outcome.graph.competencies));
    response->set_prerequisites(static_cast<int32_t>(outcome.graph.prerequisites));
    response->set_groups(static_cast<int32_t>(outcome.graph.groups));
    response->set_learners_rescored(static_cast<int64_t>(outcome.graph.learners_rescored));
    response->set_records_read(outcome.records);
    response->set_associations(outcome.associations);
    CountsToProto(outcome.associations_by_type, response->mutable_associations_by_type());
    for (const std::string& type : outcome.unknown_association_types) {
      response->add_unknown_association_types(type);
    }
    response->set_aliases(outcome.aliases);
    response->set_related(outcome.related);
    for (const std::string& warning : outcome.warnings) response->add_warnings(warning);
    response->set_dry_run(call.dry_run);
    return Status::Ok();
  });
}

grpc::Status StandardsServiceImpl::ImportRoster(grpc::ServerContext* context,
                                                const v1::ImportRosterRequest* request,
                                                v1::ImportRosterResponse* response) {
  return RunRpc("ImportRoster", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    app::ImportRosterCall call;
    for (const auto& [name, text] : request->files()) call.files.emplace(name, text);
    call.dry_run = request->dry_run();
    PATHWISE_ASSIGN_OR_RETURN(app::ImportRosterOutcome outcome,
                              app::ImportRoster(*tenant, call, *env_.limits));
    const Roster& roster = outcome.roster;
    for (const RosterClass& cls : roster.classes) {
      v1::RosterClass* out = response->add_classes();
      out->set_sourced_id(cls.sourced_id);
      out->set_title(cls.title);
      out->set_course_sourced_id(cls.course_sourced_id);
      out->set_school_sourced_id(cls.school_sourced_id);
      for (const std::string& id : cls.learners) out->add_learner_ids(id);
      for (const std::string& id : cls.teachers) out->add_teacher_ids(id);
    }
    response->set_learners(roster.learners.size());
    response->set_orgs(roster.orgs);
    response->set_courses(roster.courses);
    response->set_users(roster.users);
    response->set_enrollments(roster.enrollments);
    response->set_other_roles(roster.other_roles);
    for (const std::string& note : roster.notes) response->add_notes(note);
    for (const std::string& name : outcome.ignored_files) response->add_ignored_files(name);
    response->set_replaced(outcome.replaced);
    response->set_dry_run(call.dry_run);
    return Status::Ok();
  });
}

grpc::Status StandardsServiceImpl::GetClassReport(grpc::ServerContext* context,
                                                  const v1::GetClassReportRequest* request,
                                                  v1::GetClassReportResponse* response) {
  return RunRpc("GetClassReport", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    app::ClassReportCall call;
    switch (request->learners_case()) {
      case v1::GetClassReportRequest::kClassId:
        if (request->class_id().empty()) return Status::InvalidArgument("class_id: empty");
        call.class_id = request->class_id();
        break;
      case v1::GetClassReportRequest::kLearnerIds:
        if (request->learner_ids().ids().empty()) {
          return Status::InvalidArgument("learner_ids.ids: give at least one learner");
        }
        call.learner_ids.assign(request->learner_ids().ids().begin(),
                                request->learner_ids().ids().end());
        break;
      default:
        return Status::InvalidArgument("learners: give class_id or learner_ids");
    }
    call.goals.assign(request->goals().begin(), request->goals().end());
    call.title = request->title();
    PATHWISE_ASSIGN_OR_RETURN(app::ClassReportOutcome outcome,
                              app::BuildTenantClassReport(*tenant, call, *env_.limits));
    response->set_html(std::move(outcome.html));
    response->set_learners(outcome.learners);
    response->set_events(outcome.events);
    response->set_cohorts(outcome.cohorts);
    response->set_at_goal(outcome.at_goal);
    response->set_stalled(outcome.stalled);
    response->set_graph_version(outcome.graph_version);
    response->set_model_version(outcome.model_version);
    return Status::Ok();
  });
}

}  // namespace pathwise::service

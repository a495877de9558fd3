#include "service/learner_service.h"

#include <google/protobuf/arena.h>
#include <grpcpp/support/method_handler.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "service/proto_convert.h"

namespace pathwise::service {
namespace {

constexpr size_t kExportEventsPerMessage = 1000;

// A batch of 100 events parses into about 15 KiB: one or two blocks.
google::protobuf::ArenaOptions RequestArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 16 << 10;
  options.max_block_size = 256 << 10;
  return options;
}

void AddOutcome(const app::RecordOutcome& outcome, bool with_indices,
                v1::RecordEventsResponse* out) {
  out->set_recorded(out->recorded() + outcome.recorded);
  out->set_duplicates(out->duplicates() + outcome.duplicate_indices.size());
  out->set_batches(out->batches() + 1);
  if (with_indices) {
    for (uint32_t i : outcome.duplicate_indices) out->add_duplicate_indices(i);
  }
  for (const LearnerMastery& learner : outcome.changed) {
    v1::LearnerMasteryUpdate* update = out->add_learners();
    update->set_learner_id(learner.learner_id);
    for (const MasteryEstimate& e : learner.competencies) ToProto(e, update->add_competencies());
  }
}

// The method's index in learner_service.proto's service block.
constexpr int kStreamEventsMethod = 1;

// Parses one message of a raw stream into `out`; false when the bytes are not a message.
bool ParseMessage(grpc::ByteBuffer& bytes, google::protobuf::Message* out) {
  return grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&bytes, out).ok();
}

}  // namespace

LearnerServiceImpl::LearnerServiceImpl(ServiceEnv env) : env_(env) {
  MarkMethodStreamed(
      kStreamEventsMethod,
      new grpc::internal::ClientStreamingHandler<LearnerServiceImpl, grpc::ByteBuffer,
                                                 v1::RecordEventsResponse>(
          [](LearnerServiceImpl* service, grpc::ServerContext* context,
             grpc::ServerReader<grpc::ByteBuffer>* reader, v1::RecordEventsResponse* response) {
            return service->RawStreamEvents(context, reader, response);
          },
          this));
}

grpc::Status LearnerServiceImpl::StreamedRecordEvents(
    grpc::ServerContext* context,
    grpc::ServerUnaryStreamer<v1::RecordEventsRequest, v1::RecordEventsResponse>* streamer) {
  google::protobuf::Arena arena(RequestArenaOptions());
  auto* request = google::protobuf::Arena::CreateMessage<v1::RecordEventsRequest>(&arena);
  auto* response = google::protobuf::Arena::CreateMessage<v1::RecordEventsResponse>(&arena);
  const grpc::Status status = RunRpc("RecordEvents", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    if (!streamer->Read(request)) {
      return Status::InvalidArgument("the request is not a readable RecordEventsRequest");
    }
    PATHWISE_ASSIGN_OR_RETURN(std::vector<Observation> events,
                              EventsFromProto(request->events(), *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(app::RecordOutcome outcome,
                              tenant->Record(std::move(events), request->return_mastery()));
    AddOutcome(outcome, /*with_indices=*/true, response);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // The batch is committed whether or not the reply arrives; a client that retries gets its
  // events back as duplicates.
  if (!streamer->Write(*response)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  return status;
}

grpc::Status LearnerServiceImpl::RawStreamEvents(grpc::ServerContext* context,
                                                 grpc::ServerReader<grpc::ByteBuffer>* reader,
                                                 v1::RecordEventsResponse* response) {
  return RunRpc("StreamEvents", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant::StreamSlot stream, tenant->OpenStream());
    uint64_t batch = 0;
    // Each message commits on its own; an error names the message and ends the call, and what was
    // committed before stays committed (the reply's contract in the proto).
    auto failed = [&](const Status& status) {
      return Status(status.code(), "message " + std::to_string(batch) + ": " + status.message() +
                                       " (" + std::to_string(batch) +
                                       (batch == 1 ? " batch" : " batches") +
                                       " committed before it)");
    };
    grpc::ByteBuffer bytes;
    while (reader->Read(&bytes)) {
      google::protobuf::Arena arena(RequestArenaOptions());
      auto* request = google::protobuf::Arena::CreateMessage<v1::RecordEventsRequest>(&arena);
      if (!ParseMessage(bytes, request)) {
        return failed(Status::InvalidArgument(
            "not a readable RecordEventsRequest; later messages were not read"));
      }
      Result<std::vector<Observation>> events = EventsFromProto(request->events(), *env_.limits);
      if (!events.ok()) return failed(events.status());
      Result<app::RecordOutcome> outcome =
          tenant->Record(std::move(events).value(), request->return_mastery());
      if (!outcome.ok()) return failed(outcome.status());
      AddOutcome(*outcome, /*with_indices=*/false, response);
      ++batch;
    }
    if (context->IsCancelled()) return Status(StatusCode::kCancelled, "the client cancelled");
    return Status::Ok();
  });
}

grpc::Status LearnerServiceImpl::GetMastery(grpc::ServerContext* context,
                                            const v1::GetMasteryRequest* request,
                                            v1::GetMasteryResponse* response) {
  return RunRpc("GetMastery", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->learner_id(), "learner_id", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(
        std::vector<std::string> competency_ids,
        IdsFromProto(request->competency_ids(), "competency_ids", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(
        app::MasteryView view,
        tenant->Mastery(request->learner_id(), competency_ids, request->include_groups()));
    response->set_learner_id(request->learner_id());
    for (const MasteryEstimate& e : view.mastery.competencies) {
      ToProto(e, response->add_competencies());
    }
    for (const GroupMastery& g : view.groups) ToProto(g, response->add_groups());
    response->set_graph_version(view.graph_version);
    response->set_model_version(view.model_version);
    if (view.pace) {
      response->mutable_pace()->set_prior_offset(view.pace->prior_offset);
      response->mutable_pace()->set_learn_offset(view.pace->learn_offset);
    }
    return Status::Ok();
  });
}

grpc::Status LearnerServiceImpl::ExportLearner(
    grpc::ServerContext* context, const v1::ExportLearnerRequest* request,
    grpc::ServerWriter<v1::ExportLearnerResponse>* writer) {
  return RunRpc("ExportLearner", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant::StreamSlot stream, tenant->OpenStream());
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->learner_id(), "learner_id", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(app::LearnerExport exported,
                              tenant->ExportLearner(request->learner_id()));
    // One page of events in memory at a time: a reader that stalls holds the server to one
    // message, not to the learner's history.
    v1::ExportLearnerResponse message;
    message.set_learner_id(request->learner_id());
    message.set_state_version(exported.state().version);
    for (const MasteryEstimate& e : exported.state().competencies) {
      ToProto(e, message.add_stored_states());
    }
    for (bool first = true;; first = false) {
      PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> page,
                                exported.NextEvents(kExportEventsPerMessage));
      if (page.empty() && !first) break;
      for (const store::StoredObservation& stored : page) {
        v1::StoredObservation* event = message.add_events();
        event->set_sequence(stored.sequence);
        ToProto(stored.observation, event->mutable_event());
      }
      if (!writer->Write(message)) {
        return Status(StatusCode::kCancelled, "the client went away during the export");
      }
      if (page.size() < kExportEventsPerMessage) break;
      message.Clear();
    }
    return Status::Ok();
  });
}

grpc::Status LearnerServiceImpl::DeleteLearner(grpc::ServerContext* context,
                                               const v1::DeleteLearnerRequest* request,
                                               v1::DeleteLearnerResponse*) {
  return RunRpc("DeleteLearner", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->learner_id(), "learner_id", *env_.limits));
    return tenant->DeleteLearner(request->learner_id());
  });
}

}  // namespace pathwise::service

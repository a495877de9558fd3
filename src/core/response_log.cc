#include <string>

#include <pathwise/response_log.h>

namespace pathwise {

uint32_t IdTable::Intern(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return it->second;
  const auto index = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(names_.back(), index);
  return index;
}

uint32_t IdTable::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? kNone : it->second;
}

void ResponseLog::AddRow(std::string_view learner_name, std::string_view competency_name,
                         std::string_view activity_name, bool is_correct) {
  learner.push_back(learners.Intern(learner_name));
  competency.push_back(competencies.Intern(competency_name));
  activity.push_back(activity_name.empty() ? IdTable::kNone : activities.Intern(activity_name));
  correct.push_back(is_correct ? 1 : 0);
}

void ResponseLog::Append(const ResponseLog& other) {
  std::vector<uint32_t> learner_map(other.learners.size()), competency_map(other.competencies.size()),
      activity_map(other.activities.size()), group_map(other.groups.size());
  for (uint32_t i = 0; i < other.learners.size(); ++i) learner_map[i] = learners.Intern(other.learners.Name(i));
  for (uint32_t i = 0; i < other.competencies.size(); ++i) {
    competency_map[i] = competencies.Intern(other.competencies.Name(i));
  }
  for (uint32_t i = 0; i < other.activities.size(); ++i) {
    activity_map[i] = activities.Intern(other.activities.Name(i));
  }
  for (uint32_t i = 0; i < other.groups.size(); ++i) group_map[i] = groups.Intern(other.groups.Name(i));

  const size_t n = other.num_rows();
  learner.reserve(learner.size() + n);
  competency.reserve(competency.size() + n);
  activity.reserve(activity.size() + n);
  correct.reserve(correct.size() + n);
  for (size_t r = 0; r < n; ++r) {
    learner.push_back(learner_map[other.learner[r]]);
    competency.push_back(competency_map[other.competency[r]]);
    activity.push_back(other.activity[r] == IdTable::kNone ? IdTable::kNone
                                                           : activity_map[other.activity[r]]);
    correct.push_back(other.correct[r]);
  }
  if (!other.learner_group.empty() || !learner_group.empty()) {
    learner_group.resize(learners.size(), IdTable::kNone);
    for (uint32_t i = 0; i < other.learner_group.size(); ++i) {
      if (other.learner_group[i] != IdTable::kNone) {
        learner_group[learner_map[i]] = group_map[other.learner_group[i]];
      }
    }
  }
}

ResponseLog ResponseLog::SelectLearners(const std::vector<bool>& keep) const {
  ResponseLog out;
  out.learners = learners;
  out.competencies = competencies;
  out.activities = activities;
  out.groups = groups;
  out.learner_group = learner_group;
  for (size_t r = 0; r < num_rows(); ++r) {
    if (learner[r] < keep.size() && keep[learner[r]]) {
      out.learner.push_back(learner[r]);
      out.competency.push_back(competency[r]);
      out.activity.push_back(activity[r]);
      out.correct.push_back(correct[r]);
    }
  }
  return out;
}

Status ResponseLog::CheckConsistent() const {
  const size_t n = num_rows();
  if (learner.size() != n || competency.size() != n || activity.size() != n) {
    return Status::Internal("ResponseLog columns have different lengths");
  }
  for (size_t r = 0; r < n; ++r) {
    if (learner[r] >= learners.size() || competency[r] >= competencies.size() ||
        (activity[r] != IdTable::kNone && activity[r] >= activities.size()) || correct[r] > 1) {
      return Status::Internal("ResponseLog row " + std::to_string(r) + " has an index out of range");
    }
  }
  if (!learner_group.empty() && learner_group.size() != learners.size()) {
    return Status::Internal("ResponseLog learner_group has " + std::to_string(learner_group.size()) +
                            " entries for " + std::to_string(learners.size()) + " learners");
  }
  return Status::Ok();
}

}  // namespace pathwise

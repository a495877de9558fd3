#include <functional>
#include <string>

#include <pathwise/response_log.h>

namespace pathwise {

namespace {

constexpr uint64_t kIndexMask = 0xffffffffu;
constexpr size_t kMinSlots = 16;

inline uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

uint64_t IdTable::Hash(std::string_view name) {
  // libstdc++ and libc++ both hash string_view with a good 64-bit byte hash; mixing once more
  // spreads the low bits, which pick the slot, and the high bits, which form the tag.
  uint64_t h = std::hash<std::string_view>{}(name);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

void IdTable::Rehash(size_t slot_count) {
  slots_.assign(slot_count, 0);
  const size_t mask = slot_count - 1;
  for (uint32_t index = 0; index < names_.size(); ++index) {
    const uint64_t hash = Hash(names_[index]);
    size_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = (static_cast<uint64_t>(Tag(hash)) << 32) | (index + 1);
  }
}

uint32_t IdTable::Find(std::string_view name) const {
  if (slots_.empty()) return kNone;
  const uint64_t hash = Hash(name);
  const uint32_t tag = Tag(hash);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const uint64_t entry = slots_[slot];
    if (entry == 0) return kNone;
    if (static_cast<uint32_t>(entry >> 32) == tag) {
      const auto index = static_cast<uint32_t>((entry & kIndexMask) - 1);
      if (names_[index] == name) return index;
    }
  }
}

uint32_t IdTable::Intern(std::string_view name) {
  // Keep the load factor at or below 1/2 so probe runs stay short.
  if (2 * (names_.size() + 1) > slots_.size()) {
    Rehash(slots_.empty() ? kMinSlots : 2 * slots_.size());
  }
  const uint64_t hash = Hash(name);
  const uint32_t tag = Tag(hash);
  const size_t mask = slots_.size() - 1;
  size_t slot = hash & mask;
  for (;; slot = (slot + 1) & mask) {
    const uint64_t entry = slots_[slot];
    if (entry == 0) break;
    if (static_cast<uint32_t>(entry >> 32) == tag) {
      const auto index = static_cast<uint32_t>((entry & kIndexMask) - 1);
      if (names_[index] == name) return index;
    }
  }
  const auto index = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  slots_[slot] = (static_cast<uint64_t>(tag) << 32) | (static_cast<uint64_t>(index) + 1);
  return index;
}

void ResponseLog::AddRow(std::string_view learner_name, std::string_view competency_name,
                         std::string_view activity_name, bool is_correct) {
  learner.push_back(learners.Intern(learner_name));
  competency.push_back(competencies.Intern(competency_name));
  activity.push_back(activity_name.empty() ? IdTable::kNone : activities.Intern(activity_name));
  correct.push_back(is_correct ? 1 : 0);
  if (!learn_class.empty()) learn_class.push_back(IdTable::kNone);
}

void ResponseLog::AddRow(std::string_view learner_name, std::string_view competency_name,
                         std::string_view activity_name, std::string_view learn_class_name,
                         bool is_correct) {
  learn_class.resize(num_rows(), IdTable::kNone);
  learn_class.push_back(learn_class_name.empty() ? IdTable::kNone
                                                 : learn_classes.Intern(learn_class_name));
  learner.push_back(learners.Intern(learner_name));
  competency.push_back(competencies.Intern(competency_name));
  activity.push_back(activity_name.empty() ? IdTable::kNone : activities.Intern(activity_name));
  correct.push_back(is_correct ? 1 : 0);
}

void ResponseLog::Append(const ResponseLog& other) {
  std::vector<uint32_t> learner_map(other.learners.size()),
      competency_map(other.competencies.size()), activity_map(other.activities.size()),
      group_map(other.groups.size()), learn_class_map(other.learn_classes.size());
  for (uint32_t i = 0; i < other.learners.size(); ++i) {
    learner_map[i] = learners.Intern(other.learners.Name(i));
  }
  for (uint32_t i = 0; i < other.competencies.size(); ++i) {
    competency_map[i] = competencies.Intern(other.competencies.Name(i));
  }
  for (uint32_t i = 0; i < other.activities.size(); ++i) {
    activity_map[i] = activities.Intern(other.activities.Name(i));
  }
  for (uint32_t i = 0; i < other.groups.size(); ++i)
    group_map[i] = groups.Intern(other.groups.Name(i));
  for (uint32_t i = 0; i < other.learn_classes.size(); ++i)
    learn_class_map[i] = learn_classes.Intern(other.learn_classes.Name(i));
  const bool learn_class_column = has_learn_classes() || other.has_learn_classes();
  if (learn_class_column) learn_class.resize(num_rows(), IdTable::kNone);

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
    if (learn_class_column) {
      const uint32_t k = other.has_learn_classes() ? other.learn_class[r] : IdTable::kNone;
      learn_class.push_back(k == IdTable::kNone ? IdTable::kNone : learn_class_map[k]);
    }
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
  out.learn_classes = learn_classes;
  const size_t n = num_rows();
  // Count first so each column is allocated once at its final size: folds of big logs stay within
  // the memory budget instead of doubling their way up.
  size_t kept = 0;
  for (size_t r = 0; r < n; ++r) kept += learner[r] < keep.size() && keep[learner[r]];
  out.learner.reserve(kept);
  out.competency.reserve(kept);
  out.activity.reserve(kept);
  out.correct.reserve(kept);
  if (has_learn_classes()) out.learn_class.reserve(kept);
  for (size_t r = 0; r < n; ++r) {
    if (learner[r] < keep.size() && keep[learner[r]]) {
      out.learner.push_back(learner[r]);
      out.competency.push_back(competency[r]);
      out.activity.push_back(activity[r]);
      out.correct.push_back(correct[r]);
      if (has_learn_classes()) out.learn_class.push_back(learn_class[r]);
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
      return Status::Internal("ResponseLog row " + std::to_string(r) +
                              " has an index out of range");
    }
  }
  if (!learner_group.empty() && learner_group.size() != learners.size()) {
    return Status::Internal("ResponseLog learner_group has " +
                            std::to_string(learner_group.size()) + " entries for " +
                            std::to_string(learners.size()) + " learners");
  }
  if (!learn_class.empty() && learn_class.size() != n) {
    return Status::Internal("ResponseLog learn_class has " + std::to_string(learn_class.size()) +
                            " entries for " + std::to_string(n) + " rows");
  }
  for (size_t r = 0; r < learn_class.size(); ++r) {
    if (learn_class[r] != IdTable::kNone && learn_class[r] >= learn_classes.size()) {
      return Status::Internal("ResponseLog learn_class[" + std::to_string(r) + "] is out of range");
    }
  }
  for (size_t i = 0; i < learner_group.size(); ++i) {
    if (learner_group[i] != IdTable::kNone && learner_group[i] >= groups.size()) {
      return Status::Internal("ResponseLog learner_group[" + std::to_string(i) +
                              "] is out of range");
    }
  }
  return Status::Ok();
}

}  // namespace pathwise

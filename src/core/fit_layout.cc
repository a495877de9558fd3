// The per-competency layout of a ResponseLog and the stable seeds used by fitting.
#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fit_internal.h"

namespace pathwise::fit_internal {

std::vector<uint32_t> LearnerMajorOrder(const ResponseLog& log) {
  const size_t n = log.num_rows();
  const size_t num_learners = log.learners.size();
  // Most logs (DKVMN sequences, pyBKT files sorted by user) already keep each learner's rows
  // together; detecting that saves 4 bytes per row.
  {
    std::vector<bool> seen(num_learners, false);
    uint32_t previous = IdTable::kNone;
    bool grouped = true;
    for (size_t r = 0; r < n; ++r) {
      const uint32_t l = log.learner[r];
      if (l == previous) continue;
      if (seen[l]) {
        grouped = false;
        break;
      }
      seen[l] = true;
      previous = l;
    }
    if (grouped) return {};
  }
  std::vector<uint32_t> start(num_learners + 1, 0);
  for (size_t r = 0; r < n; ++r) ++start[log.learner[r] + 1];
  for (size_t l = 0; l < num_learners; ++l) start[l + 1] += start[l];
  std::vector<uint32_t> order(n);
  for (size_t r = 0; r < n; ++r) order[start[log.learner[r]]++] = static_cast<uint32_t>(r);
  return order;
}

Status BuildLayout(const ResponseLog& log, const LayoutRequest& request, Layout* layout) {
  PATHWISE_RETURN_IF_ERROR(log.CheckConsistent());
  const size_t n = log.num_rows();
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted("response log has " + std::to_string(n) +
                                     " rows; fitting supports fewer than 2^32");
  }
  const std::vector<bool>* mask = request.learner_mask;
  if (mask != nullptr && mask->size() < log.learners.size()) {
    return Status::Internal("learner mask has " + std::to_string(mask->size()) + " entries for " +
                            std::to_string(log.learners.size()) + " learners");
  }
  const size_t num_competencies = log.competencies.size();
  const std::vector<uint32_t> order = LearnerMajorOrder(log);

  // Pass 1: rows and sequences per competency. Visiting learner by learner, a sequence starts
  // whenever a competency sees a learner other than its previous one.
  std::vector<uint32_t> last_learner(num_competencies, IdTable::kNone);
  std::vector<uint32_t> rows(num_competencies, 0), sequences(num_competencies, 0);
  ForEachRowByLearner(log, order, [&](uint32_t r) {
    const uint32_t l = log.learner[r];
    if (mask != nullptr && !(*mask)[l]) return;
    const uint32_t c = log.competency[r];
    ++rows[c];
    if (last_learner[c] != l) {
      last_learner[c] = l;
      ++sequences[c];
    }
  });

  Layout& out = *layout;
  out = Layout();
  out.num_competencies = num_competencies;
  out.competency_seq.assign(num_competencies + 1, 0);
  std::vector<uint32_t> row_cursor(num_competencies), seq_cursor(num_competencies);
  uint32_t total_rows = 0;
  for (size_t c = 0; c < num_competencies; ++c) {
    out.competency_seq[c + 1] = out.competency_seq[c] + sequences[c];
    row_cursor[c] = total_rows;
    seq_cursor[c] = out.competency_seq[c];
    total_rows += rows[c];
  }
  const uint32_t total_sequences = out.competency_seq[num_competencies];
  out.outcome.resize(total_rows);
  out.seq_begin.resize(total_sequences + 1);
  out.seq_begin[total_sequences] = total_rows;
  out.seq_learner.resize(total_sequences);
  out.correct_count.assign(num_competencies, 0);

  // Activity classes: local index per (competency, activity), numbered in order of first
  // appearance.
  std::unordered_map<uint64_t, uint32_t> class_of;
  std::vector<std::vector<uint32_t>> activities_of(request.activity_classes ? num_competencies : 0);
  if (request.activity_classes) out.row_class.resize(total_rows);
  const bool learn_classes = request.learn_classes && log.has_learn_classes();
  std::unordered_map<uint64_t, uint32_t> learn_class_of;
  std::vector<std::vector<uint32_t>> learn_classes_of(learn_classes ? num_competencies : 0);
  if (learn_classes) out.row_learn_class.resize(total_rows);

  std::fill(last_learner.begin(), last_learner.end(), IdTable::kNone);
  ForEachRowByLearner(log, order, [&](uint32_t r) {
    const uint32_t l = log.learner[r];
    if (mask != nullptr && !(*mask)[l]) return;
    const uint32_t c = log.competency[r];
    if (last_learner[c] != l) {
      last_learner[c] = l;
      const uint32_t s = seq_cursor[c]++;
      out.seq_begin[s] = row_cursor[c];
      out.seq_learner[s] = l;
    }
    const uint32_t pos = row_cursor[c]++;
    out.outcome[pos] = log.correct[r];
    out.correct_count[c] += log.correct[r];
    if (request.activity_classes) {
      const uint32_t a = log.activity[r];
      const uint64_t key = (static_cast<uint64_t>(c) << 32) | a;
      auto [it, inserted] =
          class_of.try_emplace(key, static_cast<uint32_t>(activities_of[c].size()));
      if (inserted) activities_of[c].push_back(a);
      out.row_class[pos] = it->second;
    }
    if (learn_classes) {
      const uint32_t k = log.learn_class[r];
      const uint64_t key = (static_cast<uint64_t>(c) << 32) | k;
      auto [it, inserted] =
          learn_class_of.try_emplace(key, static_cast<uint32_t>(learn_classes_of[c].size()));
      if (inserted) learn_classes_of[c].push_back(k);
      out.row_learn_class[pos] = it->second;
    }
  });

  out.max_seq_length.assign(num_competencies, 0);
  for (size_t c = 0; c < num_competencies; ++c) {
    for (uint32_t s = out.competency_seq[c]; s < out.competency_seq[c + 1]; ++s) {
      out.max_seq_length[c] =
          std::max(out.max_seq_length[c], out.seq_begin[s + 1] - out.seq_begin[s]);
    }
  }

  out.competency_class.assign(num_competencies + 1, 0);
  if (request.activity_classes) {
    for (size_t c = 0; c < num_competencies; ++c) {
      out.competency_class[c + 1] =
          out.competency_class[c] + static_cast<uint32_t>(activities_of[c].size());
      out.class_activity.insert(out.class_activity.end(), activities_of[c].begin(),
                                activities_of[c].end());
    }
    out.class_rows.assign(out.class_activity.size(), 0);
    for (size_t c = 0; c < num_competencies; ++c) {
      for (uint32_t pos = out.RowBegin(c); pos < out.RowEnd(c); ++pos) {
        ++out.class_rows[out.competency_class[c] + out.row_class[pos]];
      }
    }
  } else {
    // One class per competency (no activity split), so callers index classes uniformly.
    for (size_t c = 0; c < num_competencies; ++c)
      out.competency_class[c + 1] = static_cast<uint32_t>(c + 1);
    out.class_activity.assign(num_competencies, IdTable::kNone);
    out.class_rows.resize(num_competencies);
    for (size_t c = 0; c < num_competencies; ++c)
      out.class_rows[c] = static_cast<uint32_t>(out.Rows(c));
  }
  out.competency_learn_class.assign(num_competencies + 1, 0);
  for (size_t c = 0; c < num_competencies; ++c) {
    const size_t count = learn_classes ? learn_classes_of[c].size() : 0;
    out.competency_learn_class[c + 1] =
        out.competency_learn_class[c] + static_cast<uint32_t>(count);
    if (learn_classes) {
      out.learn_class_id.insert(out.learn_class_id.end(), learn_classes_of[c].begin(),
                                learn_classes_of[c].end());
    }
  }
  return Status::Ok();
}

uint64_t StableHash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace pathwise::fit_internal

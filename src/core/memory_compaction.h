// Private: giving back the spare room of per-learner arrays (MasteryTracker::CompactMemory,
// Engine::CompactMemory, the zpdes zones), with the same rule everywhere and without holding a
// lock for long.
#ifndef PATHWISE_SRC_CORE_MEMORY_COMPACTION_H_
#define PATHWISE_SRC_CORE_MEMORY_COMPACTION_H_

#include <cstddef>
#include <mutex>
#include <vector>

namespace pathwise {
namespace compaction_internal {

/// Reallocates `v` to exactly its size when its spare room exceeds a sixteenth of its size (less
/// is not worth a copy, and is mostly the allocator's rounding); returns the bytes released.
template <typename T>
size_t ShrinkIfSpare(std::vector<T>& v) {
  const size_t spare = v.capacity() - v.size();
  if (spare <= v.size() / 16) return 0;
  // A copy rather than shrink_to_fit, which is only a request.
  std::vector<T>(v.begin(), v.end()).swap(v);
  return spare * sizeof(T);
}

/// Learners visited per lock taken: at 1-3 us each with 100 states (bench/state_memory), a call
/// that needs the lock waits a fraction of a millisecond, however many learners the lock guards.
inline constexpr size_t kCompactionBatch = 128;

/// Calls visit(element) for the elements of the unordered container `c` guarded by `mu`,
/// kCompactionBatch at a time under the lock, released between batches (bucket by bucket, so that
/// no iterator is kept across a release). An element inserted or moved by a rehash meanwhile may
/// be visited twice or not at all: for compaction, which is idempotent and runs again later, that
/// is harmless.
template <typename Container, typename Visit>
void VisitInBatches(std::mutex& mu, Container& c, Visit visit) {
  size_t bucket = 0;
  while (true) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t visited = 0; bucket < c.bucket_count() && visited < kCompactionBatch; ++bucket) {
      for (auto it = c.begin(bucket); it != c.end(bucket); ++it, ++visited) visit(*it);
    }
    if (bucket >= c.bucket_count()) return;
  }
}

}  // namespace compaction_internal
}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_MEMORY_COMPACTION_H_

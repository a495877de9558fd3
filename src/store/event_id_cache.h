// Which event ids each recently active learner has stored, as 64-bit hashes, for SqliteStore's
// duplicate detection without a database index entry per event. Private to pathwise::store.
#ifndef PATHWISE_STORE_EVENT_ID_CACHE_H_
#define PATHWISE_STORE_EVENT_ID_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pathwise::store::internal {

/// The hash the cache uses for an event id; never 0.
uint64_t HashEventId(std::string_view event_id);

/// A set of nonzero 64-bit hashes: open addressing, linear probing, between a quarter and half full
/// (16 to 32 bytes per element).
class IdHashSet {
 public:
  bool Contains(uint64_t hash) const;
  void Insert(uint64_t hash);
  size_t size() const { return size_; }

 private:
  void Grow();
  std::vector<uint64_t> slots_;  // 0: empty; size is a power of two or 0
  size_t size_ = 0;
};

/// Learner -> the hashes of every event id it has stored, tagged with the learner version the set
/// describes. An entry is used only by someone who read that same version from the database in the
/// same transaction, so a stale entry is never trusted, only reloaded. Learner keys (the
/// AUTOINCREMENT learner_pk) are never reused, so an entry cannot describe a different learner.
///
/// A hash match only says "maybe stored": callers confirm against the stored ids, so duplicate
/// detection stays exact. Holds at most `max_ids` hashes, dropping least recently used learners
/// (except the one just used, which may exceed the budget alone); with 0 it holds nothing.
///
/// Thread safety: every method may be called concurrently.
class EventIdCache {
 public:
  explicit EventIdCache(size_t max_ids) : max_ids_(max_ids) {}

  /// If the entry of `learner_pk` describes `version`, calls fn(const IdHashSet&) under the
  /// cache's lock and returns true; otherwise returns false.
  template <typename Fn>
  bool Read(int64_t learner_pk, uint64_t version, Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(learner_pk);
    if (it == entries_.end() || it->second.version != version) return false;
    Touch(it->second);
    fn(static_cast<const IdHashSet&>(it->second.ids));
    return true;
  }

  /// Stores `ids` as describing `version`, unless the entry already describes a newer version.
  void Install(int64_t learner_pk, uint64_t version, IdHashSet ids);

  /// If the entry describes `from_version`, adds `hashes` and makes it describe `to_version`;
  /// otherwise forgets the learner.
  void Advance(int64_t learner_pk, uint64_t from_version, uint64_t to_version,
               const std::vector<uint64_t>& hashes);

  void Erase(int64_t learner_pk);

  /// Hashes held now.
  size_t num_ids() const;

 private:
  struct Entry {
    uint64_t version = 0;
    IdHashSet ids;
    std::list<int64_t>::iterator lru;
  };
  void Touch(Entry& entry);
  void EvictBeyondBudget(int64_t keep);
  void EraseLocked(std::unordered_map<int64_t, Entry>::iterator it);

  const size_t max_ids_;
  mutable std::mutex mu_;
  std::unordered_map<int64_t, Entry> entries_;
  std::list<int64_t> lru_;  // most recently used first
  size_t num_ids_ = 0;
};

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_EVENT_ID_CACHE_H_

// A Bloom filter of (learner, event id) pairs: lets the record path skip the store's duplicate
// lookup for events that were certainly never stored.
#ifndef PATHWISE_APP_EVENT_ID_FILTER_H_
#define PATHWISE_APP_EVENT_ID_FILTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <vector>

namespace pathwise::app {

/// A scalable Bloom filter (Almeida et al. 2007): a list of fixed-size generations, each four times
/// the capacity of the one before (few generations to probe: 10M pairs take 5); each generation a
/// blocked Bloom filter with at least 10 bits and 7 probes per pair (one cache line per lookup),
/// about 1-2% false positives per generation. MayContain never answers false for an inserted pair;
/// a false positive only costs the caller an exact lookup in the store. Removal is not supported (a
/// deleted learner's ids stay: again only a lookup).
///
/// Memory: each generation has 10 bits per pair rounded up to a power of two (1.25-2.5 bytes per
/// pair), and the newest is filled only partly: 10M pairs take 43 MB in 5 generations (with
/// doubling instead, 32 MB in 8; fewer generations means fewer cache misses per lookup).
///
/// Bounded: a generation that would take the filter past `max_bytes` is not added. The filter is
/// then saturated: it stops learning pairs and MayContain answers true for every pair, so that no
/// duplicate is ever missed and every lookup goes to the store (exact, slower). With the
/// pathwised default (ServiceLimits::max_event_filter_bytes, 256 MiB) that happens after about 140
/// million events of one tenant; restarting the server sizes the filter afresh from the store.
///
/// Thread safety: Insert and MayContain may be called concurrently; a pair inserted by one thread
/// is seen by a MayContain that starts after the Insert returned.
///
/// Example:
///
///     EventIdFilter seen;
///     seen.Insert("ann", "e1");
///     bool maybe = seen.MayContain("ann", "e1");  // true
class EventIdFilter {
 public:
  explicit EventIdFilter(size_t initial_capacity = size_t{1} << 16, size_t max_bytes = SIZE_MAX);
  ~EventIdFilter();
  EventIdFilter(const EventIdFilter&) = delete;
  EventIdFilter& operator=(const EventIdFilter&) = delete;

  /// A pair's hashes: computed once per event, used for the lookup and again for the insert.
  struct Key {
    uint64_t h1 = 0;
    uint64_t h2 = 0;
  };
  static Key KeyOf(std::string_view learner_id, std::string_view event_id);

  void Insert(const Key& key);
  /// Inserts every key under one lock (a committed batch).
  void InsertAll(const std::vector<Key>& keys);
  bool MayContain(const Key& key) const;

  void Insert(std::string_view learner_id, std::string_view event_id) {
    Insert(KeyOf(learner_id, event_id));
  }
  bool MayContain(std::string_view learner_id, std::string_view event_id) const {
    return MayContain(KeyOf(learner_id, event_id));
  }
  /// Pairs inserted (counting repeats), not counting those offered after saturation.
  size_t size() const;
  /// Whether the filter reached max_bytes and stopped learning (MayContain is then always true).
  bool saturated() const { return saturated_.load(std::memory_order_acquire); }
  size_t memory_bytes() const;

 private:
  struct Generation;
  // The generation with room for `count` more pairs, adding one if needed; null (and saturated_
  // set) when that generation would exceed max_bytes_. mu_ held exclusively.
  Generation* RoomFor(size_t count);

  const size_t max_bytes_;
  std::atomic<bool> saturated_{false};

  mutable std::shared_mutex mu_;  // exclusive only to add a generation
  std::vector<std::unique_ptr<Generation>> generations_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_EVENT_ID_FILTER_H_

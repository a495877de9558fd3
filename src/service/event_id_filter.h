// A Bloom filter of (learner, event id) pairs: lets the record path skip the store's duplicate
// lookup for events that were certainly never stored.
#ifndef PATHWISE_SERVICE_EVENT_ID_FILTER_H_
#define PATHWISE_SERVICE_EVENT_ID_FILTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string_view>
#include <vector>

namespace pathwise::service {

/// A scalable Bloom filter (Almeida et al. 2007): a list of fixed-size generations, each twice the
/// capacity of the one before; each generation a blocked Bloom filter with at least 10 bits and 7
/// probes per pair (one cache line per lookup), about 1-2% false positives per generation.
/// MayContain never answers false for an inserted pair; a false positive only costs the caller an
/// exact lookup in the store. Removal is not supported (a deleted learner's ids stay: again only a
/// lookup).
///
/// Memory: about 1.25 bytes per inserted pair (10M events: about 13 MB), plus up to 2x for the
/// doubling.
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
  explicit EventIdFilter(size_t initial_capacity = size_t{1} << 16);
  ~EventIdFilter();
  EventIdFilter(const EventIdFilter&) = delete;
  EventIdFilter& operator=(const EventIdFilter&) = delete;

  void Insert(std::string_view learner_id, std::string_view event_id);
  bool MayContain(std::string_view learner_id, std::string_view event_id) const;
  /// Pairs inserted (counting repeats).
  size_t size() const;
  size_t memory_bytes() const;

 private:
  struct Generation;
  static void Hash(std::string_view learner_id, std::string_view event_id, uint64_t* h1,
                   uint64_t* h2);

  mutable std::shared_mutex mu_;  // exclusive only to add a generation
  std::vector<std::unique_ptr<Generation>> generations_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_EVENT_ID_FILTER_H_

#include "app/event_id_filter.h"

#include <algorithm>
#include <mutex>

namespace pathwise::app {
namespace {

constexpr int kProbes = 7;
constexpr size_t kBitsPerPair = 10;
constexpr size_t kGrowth = 4;  // capacity of a new generation over the one before

// 64-bit FNV-1a, then a murmur finalizer: fast, and good enough to spread ids that share prefixes.
uint64_t Fnv1a(std::string_view text, uint64_t h) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

// Blocked Bloom filter (Putze, Sanders & Singler 2007): all probes of a pair fall in one 512-bit
// block (one cache line), and sizes are powers of two, so a probe is a mask and a shift, never a
// division.
struct EventIdFilter::Generation {
  static constexpr size_t kWordsPerBlock = 8;  // 512 bits

  static size_t BlocksFor(size_t pair_capacity) {
    size_t blocks = 1;
    while (blocks * kWordsPerBlock * 64 < pair_capacity * kBitsPerPair) blocks *= 2;
    return blocks;
  }
  static size_t BytesFor(size_t pair_capacity) {
    return BlocksFor(pair_capacity) * kWordsPerBlock * sizeof(uint64_t);
  }

  explicit Generation(size_t pair_capacity) : capacity(pair_capacity) {
    const size_t blocks = BlocksFor(pair_capacity);
    block_mask = blocks - 1;
    words.reset(new std::atomic<uint64_t>[blocks * kWordsPerBlock]);
    for (size_t i = 0; i < blocks * kWordsPerBlock; ++i) {
      words[i].store(0, std::memory_order_relaxed);
    }
    num_words = blocks * kWordsPerBlock;
  }
  size_t capacity;
  size_t block_mask = 0;
  size_t num_words = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> words;
  std::atomic<size_t> count{0};

  // Probe i is bit (h2 >> 9i) & 511 of block h1 & block_mask.
  void Set(uint64_t h1, uint64_t h2) {
    std::atomic<uint64_t>* block = &words[(h1 & block_mask) * kWordsPerBlock];
    // One atomic OR per word touched, not per probe.
    uint64_t masks[kWordsPerBlock] = {};
    for (int i = 0; i < kProbes; ++i) {
      const unsigned bit = static_cast<unsigned>(h2 >> (9 * i)) & 511u;
      masks[bit / 64] |= uint64_t{1} << (bit % 64);
    }
    for (size_t w = 0; w < kWordsPerBlock; ++w) {
      if (masks[w] != 0) block[w].fetch_or(masks[w], std::memory_order_release);
    }
  }
  bool Test(uint64_t h1, uint64_t h2) const {
    const std::atomic<uint64_t>* block = &words[(h1 & block_mask) * kWordsPerBlock];
    for (int i = 0; i < kProbes; ++i) {
      const unsigned bit = static_cast<unsigned>(h2 >> (9 * i)) & 511u;
      if ((block[bit / 64].load(std::memory_order_acquire) & (uint64_t{1} << (bit % 64))) == 0) {
        return false;
      }
    }
    return true;
  }
};

EventIdFilter::EventIdFilter(size_t initial_capacity, size_t max_bytes) : max_bytes_(max_bytes) {
  generations_.push_back(std::make_unique<Generation>(initial_capacity > 0 ? initial_capacity : 1));
}

EventIdFilter::~EventIdFilter() = default;

EventIdFilter::Key EventIdFilter::KeyOf(std::string_view learner_id, std::string_view event_id) {
  uint64_t h = Fnv1a(learner_id, 0xcbf29ce484222325ULL);
  h = Fnv1a(std::string_view("\x1f", 1), h);  // a separator, so ("ab","c") != ("a","bc")
  h = Fnv1a(event_id, h);
  return Key{Mix(h), Mix(h ^ 0x9e3779b97f4a7c15ULL)};
}

EventIdFilter::Generation* EventIdFilter::RoomFor(size_t count) {
  if (saturated_.load(std::memory_order_relaxed)) return nullptr;
  Generation& last = *generations_.back();
  if (last.count.load(std::memory_order_relaxed) + count <= last.capacity) return &last;
  const size_t capacity = std::max(last.capacity * kGrowth, count);
  size_t used = 0;
  for (const auto& generation : generations_) used += generation->num_words * sizeof(uint64_t);
  if (Generation::BytesFor(capacity) > max_bytes_ - std::min(used, max_bytes_)) {
    saturated_.store(true, std::memory_order_release);
    return nullptr;
  }
  generations_.push_back(std::make_unique<Generation>(capacity));
  return generations_.back().get();
}

void EventIdFilter::Insert(const Key& key) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    Generation& last = *generations_.back();
    // Concurrent inserts may overshoot the capacity by a few pairs: that only nudges the false
    // positive rate.
    if (last.count.load(std::memory_order_relaxed) < last.capacity) {
      last.Set(key.h1, key.h2);
      last.count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  Generation* room = RoomFor(1);
  if (room == nullptr) return;
  room->Set(key.h1, key.h2);
  room->count.fetch_add(1, std::memory_order_relaxed);
}

void EventIdFilter::InsertAll(const std::vector<Key>& keys) {
  if (keys.empty()) return;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    Generation& last = *generations_.back();
    if (last.count.load(std::memory_order_relaxed) + keys.size() <= last.capacity) {
      for (const Key& key : keys) last.Set(key.h1, key.h2);
      last.count.fetch_add(keys.size(), std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  Generation* room = RoomFor(keys.size());
  if (room == nullptr) return;
  for (const Key& key : keys) room->Set(key.h1, key.h2);
  room->count.fetch_add(keys.size(), std::memory_order_relaxed);
}

bool EventIdFilter::MayContain(const Key& key) const {
  // Saturated: pairs offered since were not learned, so only "maybe" is safe.
  if (saturated()) return true;
  std::shared_lock<std::shared_mutex> lock(mu_);
  // Newest first: a re-delivered event is most likely a recent one.
  for (auto it = generations_.rbegin(); it != generations_.rend(); ++it) {
    if ((*it)->Test(key.h1, key.h2)) return true;
  }
  return false;
}

size_t EventIdFilter::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t total = 0;
  for (const auto& generation : generations_) total += generation->count.load();
  return total;
}

size_t EventIdFilter::memory_bytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t total = 0;
  for (const auto& generation : generations_) total += generation->num_words * 8;
  return total;
}

}  // namespace pathwise::app

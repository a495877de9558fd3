#include "store/event_id_cache.h"

#include <functional>

namespace pathwise::store::internal {

uint64_t HashEventId(std::string_view event_id) {
  const uint64_t hash = std::hash<std::string_view>()(event_id);
  return hash == 0 ? 1 : hash;
}

bool IdHashSet::Contains(uint64_t hash) const {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  // The low bits of std::hash are well mixed; a multiply spreads them further for short keys.
  for (size_t i = (hash * 0x9E3779B97F4A7C15ull) >> 7 & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return true;
    if (slots_[i] == 0) return false;
  }
}

void IdHashSet::Insert(uint64_t hash) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = (hash * 0x9E3779B97F4A7C15ull) >> 7 & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++size_;
      return;
    }
  }
}

void IdHashSet::Grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, 0);
  size_ = 0;
  for (uint64_t hash : old) {
    if (hash != 0) Insert(hash);
  }
}

void EventIdCache::Touch(Entry& entry) { lru_.splice(lru_.begin(), lru_, entry.lru); }

void EventIdCache::EraseLocked(std::unordered_map<int64_t, Entry>::iterator it) {
  num_ids_ -= it->second.ids.size();
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void EventIdCache::EvictBeyondBudget(int64_t keep) {
  while (num_ids_ > max_ids_ && !lru_.empty() && lru_.back() != keep) {
    EraseLocked(entries_.find(lru_.back()));
  }
}

void EventIdCache::Install(int64_t learner_pk, uint64_t version, IdHashSet ids) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_ids_ == 0) return;
  auto it = entries_.find(learner_pk);
  if (it != entries_.end()) {
    if (it->second.version > version) return;
    num_ids_ -= it->second.ids.size();
    it->second.ids = std::move(ids);
    it->second.version = version;
    Touch(it->second);
  } else {
    lru_.push_front(learner_pk);
    it = entries_.emplace(learner_pk, Entry{version, std::move(ids), lru_.begin()}).first;
  }
  num_ids_ += it->second.ids.size();
  EvictBeyondBudget(learner_pk);
}

void EventIdCache::Advance(int64_t learner_pk, uint64_t from_version, uint64_t to_version,
                           const std::vector<uint64_t>& hashes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(learner_pk);
  if (it == entries_.end()) return;
  if (it->second.version != from_version) {
    EraseLocked(it);
    return;
  }
  const size_t before = it->second.ids.size();
  for (uint64_t hash : hashes) it->second.ids.Insert(hash);
  num_ids_ += it->second.ids.size() - before;
  it->second.version = to_version;
  Touch(it->second);
  EvictBeyondBudget(learner_pk);
}

void EventIdCache::Erase(int64_t learner_pk) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(learner_pk);
  if (it != entries_.end()) EraseLocked(it);
}

size_t EventIdCache::num_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  return num_ids_;
}

}  // namespace pathwise::store::internal

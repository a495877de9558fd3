// Learners in SqliteStore: their events (one row of encoded events per learner per commit), their
// states (one encoded row per learner) and their policies' states (one row per policy).
#include <algorithm>
#include <unordered_set>
#include <utility>

#include "store/learner_rows.h"
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"
#include "store/store_codec.h"
#include "store/store_validation.h"

namespace pathwise::store {

namespace sql = internal::sql;
using internal::Connection;
using internal::Statement;

namespace {

// At most this many events per chunk row, so an event's index fits the low 16 bits of its sequence.
constexpr size_t kMaxEventsPerChunk = 65535;
constexpr int kSequenceShift = 16;

// SQLite's LIMIT takes -1 for "no limit".
int64_t SqlLimit(size_t limit) { return limit == 0 ? -1 : static_cast<int64_t>(limit); }

struct LearnerRow {
  int64_t pk = 0;  // 0: not stored (rowids start at 1)
  uint64_t version = 0;
  std::string states;  // the encoded states blob
};

Result<LearnerRow> FindLearnerInTenant(Connection& db, int64_t tenant_pk,
                                       std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql::kSelectLearnerInTenant));
  stmt.Bind(1, tenant_pk);
  stmt.Bind(2, learner_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return LearnerRow{};
  return LearnerRow{stmt.ColumnInt64(0), static_cast<uint64_t>(stmt.ColumnInt64(1)),
                    std::string(stmt.ColumnBlob(2))};
}

Result<int64_t> InsertLearner(Connection& db, int64_t tenant_pk, std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertLearner));
  insert.Bind(1, tenant_pk);
  insert.Bind(2, learner_id);
  PATHWISE_RETURN_IF_ERROR(insert.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.db()));
}

// Calls visit(event_id) for every stored event id of a learner, as `db` sees them.
template <typename Visit>
Status ForEachStoredEventId(Connection& db, int64_t learner_pk, Visit&& visit) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectChunks));
  select.Bind(1, learner_pk);
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return Status::Ok();
    PATHWISE_RETURN_IF_ERROR(internal::DecodeEvents(
        select.ColumnBlob(0),
        [&](size_t, std::string_view event_id, std::string_view, double, int64_t) {
          if (!event_id.empty()) visit(event_id);
        }));
  }
}

}  // namespace

uint64_t SqliteStore::Impl::HashId(std::string_view event_id) const {
  if (options.event_id_hash_for_testing == nullptr) return internal::HashEventId(event_id);
  const uint64_t hash = options.event_id_hash_for_testing(event_id);
  return hash == 0 ? 1 : hash;  // 0 marks an empty slot in IdHashSet
}

Result<internal::IdHashSet> SqliteStore::Impl::LoadIdHashes(Connection& db,
                                                            int64_t learner_pk) const {
  internal::IdHashSet hashes;
  PATHWISE_RETURN_IF_ERROR(ForEachStoredEventId(
      db, learner_pk, [&](std::string_view id) { hashes.Insert(HashId(id)); }));
  return hashes;
}

Result<std::vector<bool>> SqliteStore::Impl::FindStored(Connection& db, int64_t learner_pk,
                                                        uint64_t version,
                                                        const std::vector<std::string_view>& ids,
                                                        internal::GroupCommitWriter* touched) {
  std::vector<uint64_t> id_hashes(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) id_hashes[i] = HashId(ids[i]);
  std::vector<bool> maybe(ids.size(), false);
  const auto check = [&](const internal::IdHashSet& hashes) {
    for (size_t i = 0; i < ids.size(); ++i) maybe[i] = hashes.Contains(id_hashes[i]);
  };
  if (!event_ids->Read(learner_pk, version, check)) {
    PATHWISE_ASSIGN_OR_RETURN(internal::IdHashSet hashes, LoadIdHashes(db, learner_pk));
    check(hashes);
    event_ids->Install(learner_pk, version, std::move(hashes));
    if (touched != nullptr) touched->Touch(learner_pk);
  }
  std::unordered_set<std::string_view> suspects;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (maybe[i]) suspects.insert(ids[i]);
  }
  std::vector<bool> stored(ids.size(), false);
  if (suspects.empty()) return stored;
  std::unordered_set<std::string> confirmed;
  PATHWISE_RETURN_IF_ERROR(ForEachStoredEventId(db, learner_pk, [&](std::string_view id) {
    if (suspects.count(id) > 0) confirmed.emplace(id);
  }));
  for (size_t i = 0; i < ids.size(); ++i) {
    stored[i] = maybe[i] && confirmed.count(std::string(ids[i])) > 0;
  }
  return stored;
}

Status SqliteStore::Impl::ApplyEventBatch(Connection& db, const EventBatch& batch,
                                          const std::vector<size_t>& learner_of_event,
                                          CommitResult* result) {
  PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, GetOrCreateTenant(db, batch.tenant_id));
  const size_t num_learners = batch.learners.size();
  std::vector<LearnerRow> learners(num_learners);
  for (size_t i = 0; i < num_learners; ++i) {
    const LearnerUpdate& update = batch.learners[i];
    PATHWISE_ASSIGN_OR_RETURN(learners[i], FindLearnerInTenant(db, tenant_pk, update.learner_id));
    PATHWISE_RETURN_IF_ERROR(internal::CheckExpectedVersion(update, learners[i].version));
  }
  const std::vector<std::vector<size_t>> events_of =
      internal::EventsOfLearners(batch, learner_of_event);
  const auto find_stored = [&](size_t l, const std::vector<std::string_view>& ids) {
    if (learners[l].pk == 0) return Result<std::vector<bool>>(std::vector<bool>(ids.size()));
    return FindStored(db, learners[l].pk, learners[l].version, ids, writer.get());
  };
  PATHWISE_ASSIGN_OR_RETURN(const std::vector<std::vector<const Observation*>> new_events,
                            internal::SelectNewEvents(batch, events_of, find_stored, result));

  {
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertChunk));
    for (size_t l = 0; l < num_learners; ++l) {
      const std::vector<const Observation*>& events = new_events[l];
      if (events.empty()) continue;
      if (learners[l].pk == 0) {
        PATHWISE_ASSIGN_OR_RETURN(learners[l].pk,
                                  InsertLearner(db, tenant_pk, batch.learners[l].learner_id));
      }
      for (size_t first = 0; first < events.size(); first += kMaxEventsPerChunk) {
        const size_t last = std::min(events.size(), first + kMaxEventsPerChunk);
        const std::string chunk = internal::EncodeEvents(
            std::vector<const Observation*>(events.begin() + static_cast<std::ptrdiff_t>(first),
                                            events.begin() + static_cast<std::ptrdiff_t>(last)));
        insert.Bind(1, learners[l].pk);
        insert.BindBlob(2, chunk);
        PATHWISE_RETURN_IF_ERROR(insert.Run());
        insert.Reset();
      }
    }
  }
  if (options.fault_hook_for_testing) {
    PATHWISE_RETURN_IF_ERROR(options.fault_hook_for_testing(batch));
  }

  result->learner_versions.assign(num_learners, 0);
  for (size_t l = 0; l < num_learners; ++l) {
    const LearnerUpdate& update = batch.learners[l];
    LearnerRow& row = learners[l];
    if (!internal::ChangesLearner(update, !new_events[l].empty())) {
      result->learner_versions[l] = row.version;
      continue;
    }
    if (row.pk == 0) {
      PATHWISE_ASSIGN_OR_RETURN(row.pk, InsertLearner(db, tenant_pk, update.learner_id));
    }
    const uint64_t old_version = row.version;
    const uint64_t new_version = old_version + 1;
    if (update.states.empty()) {
      PATHWISE_ASSIGN_OR_RETURN(Statement bump, db.Prepare(sql::kUpdateLearnerVersion));
      bump.Bind(1, row.pk);
      bump.Bind(2, static_cast<int64_t>(new_version));
      PATHWISE_RETURN_IF_ERROR(bump.Run());
    } else {
      PATHWISE_ASSIGN_OR_RETURN(
          const std::string states,
          internal::MergeEncodedStates(row.states, update.states, update.learner_id));
      PATHWISE_ASSIGN_OR_RETURN(Statement write, db.Prepare(sql::kUpdateLearner));
      write.Bind(1, row.pk);
      write.Bind(2, static_cast<int64_t>(new_version));
      write.BindBlob(3, states);
      PATHWISE_RETURN_IF_ERROR(write.Run());
    }
    for (const PolicyState& policy : update.policy_states) {
      PATHWISE_ASSIGN_OR_RETURN(
          Statement write,
          db.Prepare(policy.state.empty() ? sql::kDeletePolicyState : sql::kUpsertPolicyState));
      write.Bind(1, row.pk);
      write.Bind(2, std::string_view(policy.policy));
      if (!policy.state.empty()) write.BindBlob(3, policy.state);
      PATHWISE_RETURN_IF_ERROR(write.Run());
    }
    result->learner_versions[l] = new_version;
    std::vector<uint64_t> hashes;
    hashes.reserve(new_events[l].size());
    for (const Observation* event : new_events[l]) {
      if (!event->event_id.empty()) hashes.push_back(HashId(event->event_id));
    }
    if (old_version == 0) {
      // A new learner: its id set is exactly this batch's.
      internal::IdHashSet ids;
      for (uint64_t hash : hashes) ids.Insert(hash);
      event_ids->Install(row.pk, new_version, std::move(ids));
    } else {
      event_ids->Advance(row.pk, old_version, new_version, hashes);
    }
    writer->Touch(row.pk);
  }
  return Status::Ok();
}

Result<CommitResult> SqliteStore::DoCommitEvents(const EventBatch& batch,
                                                 const std::vector<size_t>& learner_of_event) {
  CommitResult result;
  const Status written = impl_->writer->Write(
      [&](Connection& db) { return impl_->ApplyEventBatch(db, batch, learner_of_event, &result); });
  if (!written.ok()) return written;
  return result;
}

namespace {

Result<std::optional<LearnerRow>> FindLearner(Connection& db, std::string_view tenant_id,
                                              std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectLearner));
  select.Bind(1, tenant_id);
  select.Bind(2, learner_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) return std::optional<LearnerRow>();
  return std::optional<LearnerRow>(LearnerRow{select.ColumnInt64(0),
                                              static_cast<uint64_t>(select.ColumnInt64(1)),
                                              std::string(select.ColumnBlob(2))});
}

// A learner's row as one read snapshot sees it; `learner` is empty when it is not stored. The
// snapshot, and the lease of its reader, last as long as this object.
struct LearnerSnapshot {
  internal::ReaderPool::Reader reader;  // first: destroyed after the transaction
  internal::ReadTransaction transaction;
  std::optional<LearnerRow> learner;
};

Result<LearnerSnapshot> ReadLearner(internal::ReaderPool& readers, std::string_view tenant_id,
                                    std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, readers.Acquire());
  PATHWISE_ASSIGN_OR_RETURN(internal::ReadTransaction transaction,
                            internal::ReadTransaction::Begin(*reader));
  PATHWISE_ASSIGN_OR_RETURN(std::optional<LearnerRow> learner,
                            FindLearner(*reader, tenant_id, learner_id));
  return LearnerSnapshot{std::move(reader), std::move(transaction), std::move(learner)};
}

}  // namespace

Result<std::vector<bool>> SqliteStore::DoFindRecordedEvents(
    std::string_view tenant_id, std::string_view learner_id,
    const std::vector<std::string>& event_ids) {
  PATHWISE_ASSIGN_OR_RETURN(LearnerSnapshot snapshot,
                            ReadLearner(*impl_->readers, tenant_id, learner_id));
  std::vector<bool> found(event_ids.size(), false);
  const std::optional<LearnerRow>& learner = snapshot.learner;
  if (!learner.has_value()) return found;
  std::vector<std::string_view> ids;
  std::vector<size_t> positions;
  for (size_t i = 0; i < event_ids.size(); ++i) {
    if (event_ids[i].empty()) continue;
    ids.push_back(event_ids[i]);
    positions.push_back(i);
  }
  Result<std::vector<bool>> stored =
      impl_->FindStored(*snapshot.reader, learner->pk, learner->version, ids, /*touched=*/nullptr);
  if (!stored.ok()) return internal::LearnerContext(stored.status(), learner_id);
  for (size_t i = 0; i < ids.size(); ++i) found[positions[i]] = (*stored)[i];
  return found;
}

namespace {

Result<std::vector<PolicyState>> ReadPolicyStates(Connection& db, int64_t learner_pk) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectPolicyStates));
  select.Bind(1, learner_pk);
  std::vector<PolicyState> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back({select.ColumnText(0), std::string(select.ColumnBlob(1))});
  }
  return out;
}

}  // namespace

Result<StoredLearner> SqliteStore::DoGetLearner(std::string_view tenant_id,
                                                std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(LearnerSnapshot snapshot,
                            ReadLearner(*impl_->readers, tenant_id, learner_id));
  const std::optional<LearnerRow>& learner = snapshot.learner;
  if (!learner.has_value()) return internal::LearnerNotFound(learner_id);
  Connection& reader = *snapshot.reader;
  PATHWISE_ASSIGN_OR_RETURN(
      StoredLearner out,
      internal::DecodeLearner(std::string(learner_id), learner->version, learner->states));
  PATHWISE_ASSIGN_OR_RETURN(out.policy_states, ReadPolicyStates(reader, learner->pk));
  return out;
}

Status SqliteStore::DoForEachLearner(std::string_view tenant_id,
                                     const std::function<Status(const StoredLearner&)>& visitor) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kSelectAllLearners));
  select.Bind(1, tenant_id);
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return Status::Ok();
    PATHWISE_ASSIGN_OR_RETURN(
        StoredLearner state,
        internal::DecodeLearner(select.ColumnText(0), static_cast<uint64_t>(select.ColumnInt64(1)),
                                select.ColumnBlob(2)));
    // The open select keeps one read snapshot for this query as well.
    PATHWISE_ASSIGN_OR_RETURN(state.policy_states,
                              ReadPolicyStates(*reader, select.ColumnInt64(3)));
    PATHWISE_RETURN_IF_ERROR(visitor(state));
  }
}

Result<std::vector<StoredObservation>> SqliteStore::DoListEvents(std::string_view tenant_id,
                                                                 std::string_view learner_id,
                                                                 int64_t after_sequence,
                                                                 size_t limit) {
  PATHWISE_ASSIGN_OR_RETURN(LearnerSnapshot snapshot,
                            ReadLearner(*impl_->readers, tenant_id, learner_id));
  const std::optional<LearnerRow>& learner = snapshot.learner;
  if (!learner.has_value()) return internal::LearnerNotFound(learner_id);
  Connection& reader = *snapshot.reader;
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader.Prepare(sql::kSelectChunksFrom));
  select.Bind(1, learner->pk);
  select.Bind(2, std::max<int64_t>(after_sequence, 0) >> kSequenceShift);
  std::vector<StoredObservation> out;
  while (limit == 0 || out.size() < limit) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    const int64_t first_sequence = select.ColumnInt64(0) << kSequenceShift;
    Status decoded = internal::DecodeEvents(
        select.ColumnBlob(1), [&](size_t index, std::string_view event_id,
                                  std::string_view activity_id, double outcome, int64_t timestamp) {
          const int64_t sequence = first_sequence + static_cast<int64_t>(index);
          if (sequence <= after_sequence || (limit != 0 && out.size() >= limit)) return;
          StoredObservation event;
          event.sequence = sequence;
          event.observation.event_id = std::string(event_id);
          event.observation.learner_id = std::string(learner_id);
          event.observation.activity_id = std::string(activity_id);
          event.observation.outcome = outcome;
          event.observation.timestamp_ms = timestamp;
          out.push_back(std::move(event));
        });
    if (!decoded.ok()) return internal::LearnerContext(decoded, learner_id);
  }
  return out;
}

Result<std::vector<std::string>> SqliteStore::DoListLearners(std::string_view tenant_id,
                                                             std::string_view after_learner_id,
                                                             size_t limit) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kListLearners));
  select.Bind(1, tenant_id);
  select.Bind(2, after_learner_id);
  select.Bind(3, SqlLimit(limit));
  std::vector<std::string> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(select.ColumnText(0));
  }
  return out;
}

Result<CommitResult> SqliteStore::DoReplaceLearner(const LearnerUpdate& update,
                                                   const EventBatch& fresh,
                                                   const std::vector<size_t>& learner_of_event) {
  CommitResult result;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<LearnerRow> learner,
                              FindLearner(db, fresh.tenant_id, update.learner_id));
    PATHWISE_RETURN_IF_ERROR(
        internal::CheckExpectedVersion(update, learner.has_value() ? learner->version : 0));
    if (learner.has_value()) {
      PATHWISE_ASSIGN_OR_RETURN(Statement remove, db.Prepare(sql::kDeleteLearner));
      remove.Bind(1, learner->pk);
      PATHWISE_RETURN_IF_ERROR(remove.Run());
      // A rolled-back delete leaves the cache without an entry: it is only reloaded.
      impl_->event_ids->Erase(learner->pk);
    }
    // The learner comes back under a new key (AUTOINCREMENT): no cached ids describe it.
    return impl_->ApplyEventBatch(db, fresh, learner_of_event, &result);
  });
  if (!written.ok()) return written;
  return result;
}

Status SqliteStore::DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) {
  return impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<LearnerRow> learner,
                              FindLearner(db, tenant_id, learner_id));
    if (!learner.has_value()) return internal::LearnerNotFound(learner_id);
    // Events go with the learner (ON DELETE CASCADE); the key is never reused (AUTOINCREMENT).
    PATHWISE_ASSIGN_OR_RETURN(Statement remove, db.Prepare(sql::kDeleteLearner));
    remove.Bind(1, learner->pk);
    PATHWISE_RETURN_IF_ERROR(remove.Run());
    impl_->event_ids->Erase(learner->pk);
    return Status::Ok();
  });
}

}  // namespace pathwise::store

// Learners in SqliteStore: their events (one row of encoded events per learner per commit), their
// states (one encoded row per learner) and their policies' states (one row per policy).
#include <algorithm>
#include <unordered_set>
#include <utility>

#include "store/learner_rows.h"
#include "store/row_checksum.h"
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

internal::RowChecksum LearnerChecksum(int64_t learner_pk, int64_t tenant_pk,
                                      std::string_view learner_id, uint64_t version,
                                      std::string_view states) {
  internal::RowChecksum checksum;
  checksum.Add(learner_pk).Add(tenant_pk).Add(learner_id).Add(static_cast<int64_t>(version));
  checksum.Add(states);
  return checksum;
}

internal::RowChecksum ChunkChecksum(int64_t chunk_pk, int64_t learner_pk, std::string_view events) {
  internal::RowChecksum checksum;
  checksum.Add(chunk_pk).Add(learner_pk).Add(events);
  return checksum;
}

internal::RowChecksum PolicyStateChecksum(int64_t learner_pk, std::string_view policy,
                                          std::string_view state) {
  internal::RowChecksum checksum;
  checksum.Add(learner_pk).Add(policy).Add(state);
  return checksum;
}

// "tenant 'acme', learner 'ann'"; an unknown tenant id (empty) or learner id by the row key.
std::string NameLearner(std::string_view tenant_id, int64_t tenant_pk, std::string_view learner_id,
                        int64_t learner_pk) {
  return internal::NameTenant(tenant_id, tenant_pk) +
         (learner_id.empty() ? ", learner row " + std::to_string(learner_pk)
                             : ", learner '" + std::string(learner_id) + "'");
}

// The learner row a statement is on (columns: learner_pk, version, states, checksum, tenant_pk,
// learner_id), once its checksum matches the columns as stored. `tenant_id` names the tenant in
// the error (empty: its key).
Result<LearnerRow> VerifiedLearnerRow(const Statement& row, std::string_view tenant_id) {
  LearnerRow learner{row.ColumnInt64(0), static_cast<uint64_t>(row.ColumnInt64(1)),
                     std::string(row.ColumnBlob(2))};
  const std::string_view learner_id = row.ColumnBlob(5);
  PATHWISE_RETURN_IF_ERROR(internal::VerifyRowChecksum(
      internal::StoredChecksum(row, 3),
      [&] {
        return LearnerChecksum(learner.pk, row.ColumnInt64(4), learner_id, learner.version,
                               learner.states);
      },
      [&] {
        return NameLearner(tenant_id, row.ColumnInt64(4), learner_id, learner.pk) +
               ": its learners row (" + std::to_string(learner.pk) + ")";
      }));
  return learner;
}

// OK when the chunk a statement is on (columns from `first`: chunk_pk, learner_pk, events,
// checksum) matches its checksum. tenant_id and learner_id name the learner in the error (empty:
// by its row).
Status VerifyChunk(const Statement& row, int first, std::string_view tenant_id,
                   std::string_view learner_id) {
  const int64_t chunk_pk = row.ColumnInt64(first);
  const int64_t learner_pk = row.ColumnInt64(first + 1);
  return internal::VerifyRowChecksum(
      internal::StoredChecksum(row, first + 3),
      [&] { return ChunkChecksum(chunk_pk, learner_pk, row.ColumnBlob(first + 2)); },
      [&] {
        return NameLearner(tenant_id, 0, learner_id, learner_pk) + ": its event chunk " +
               std::to_string(chunk_pk) + " (the events from sequence " +
               std::to_string(chunk_pk << kSequenceShift) + ")";
      });
}

Result<LearnerRow> FindLearnerInTenant(Connection& db, int64_t tenant_pk,
                                       std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql::kSelectLearnerInTenant));
  stmt.Bind(1, tenant_pk);
  stmt.Bind(2, learner_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return LearnerRow{};
  return VerifiedLearnerRow(stmt, "");
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
    PATHWISE_RETURN_IF_ERROR(VerifyChunk(select, 0, "", ""));
    PATHWISE_RETURN_IF_ERROR(internal::DecodeEvents(
        select.ColumnBlob(2),
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
        const int64_t chunk_pk = ++last_chunk_pk;
        insert.Bind(1, chunk_pk);
        insert.Bind(2, learners[l].pk);
        insert.BindBlob(3, chunk);
        insert.Bind(4, ChunkChecksum(chunk_pk, learners[l].pk, chunk).value());
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
      bump.Bind(
          3,
          LearnerChecksum(row.pk, tenant_pk, update.learner_id, new_version, row.states).value());
      PATHWISE_RETURN_IF_ERROR(bump.Run());
    } else {
      PATHWISE_ASSIGN_OR_RETURN(
          const std::string states,
          internal::MergeEncodedStates(row.states, update.states, update.learner_id));
      PATHWISE_ASSIGN_OR_RETURN(Statement write, db.Prepare(sql::kUpdateLearner));
      write.Bind(1, row.pk);
      write.Bind(2, static_cast<int64_t>(new_version));
      write.BindBlob(3, states);
      write.Bind(
          4, LearnerChecksum(row.pk, tenant_pk, update.learner_id, new_version, states).value());
      PATHWISE_RETURN_IF_ERROR(write.Run());
    }
    for (const PolicyState& policy : update.policy_states) {
      PATHWISE_ASSIGN_OR_RETURN(
          Statement write,
          db.Prepare(policy.state.empty() ? sql::kDeletePolicyState : sql::kUpsertPolicyState));
      write.Bind(1, row.pk);
      write.Bind(2, std::string_view(policy.policy));
      if (!policy.state.empty()) {
        write.BindBlob(3, policy.state);
        write.Bind(4, PolicyStateChecksum(row.pk, policy.policy, policy.state).value());
      }
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
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 4, 6, tenant_id));
  PATHWISE_ASSIGN_OR_RETURN(LearnerRow learner, VerifiedLearnerRow(select, tenant_id));
  return std::optional<LearnerRow>(std::move(learner));
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
  if (!learner.has_value()) PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
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

// The policy state a statement is on (columns: policy, state, checksum, learner_pk), verified;
// tenant_id and learner_id name the learner in errors (empty: by its row).
Result<PolicyState> VerifiedPolicyState(const Statement& row, std::string_view tenant_id,
                                        std::string_view learner_id) {
  PolicyState policy{row.ColumnText(0), std::string(row.ColumnBlob(1))};
  const int64_t learner_pk = row.ColumnInt64(3);
  const auto name = [&] { return NameLearner(tenant_id, 0, learner_id, learner_pk); };
  PATHWISE_RETURN_IF_ERROR(internal::VerifyRowChecksum(
      internal::StoredChecksum(row, 2),
      [&] { return PolicyStateChecksum(learner_pk, policy.policy, policy.state); },
      [&] { return name() + ": its state of policy '" + policy.policy + "'"; }));
  if (!internal::IsValidUtf8(policy.policy)) {
    return Status(StatusCode::kDataLoss, name() +
                                             ": a policy name that is not UTF-8: the database "
                                             "file is damaged; restore it from a backup");
  }
  return policy;
}

Result<std::vector<PolicyState>> ReadPolicyStates(Connection& db, int64_t learner_pk,
                                                  std::string_view tenant_id,
                                                  std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectPolicyStates));
  select.Bind(1, learner_pk);
  std::vector<PolicyState> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    PATHWISE_ASSIGN_OR_RETURN(PolicyState policy,
                              VerifiedPolicyState(select, tenant_id, learner_id));
    out.push_back(std::move(policy));
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
  PATHWISE_ASSIGN_OR_RETURN(out.policy_states,
                            ReadPolicyStates(reader, learner->pk, tenant_id, learner_id));
  PATHWISE_ASSIGN_OR_RETURN(Statement last_chunk, reader.Prepare(sql::kSelectLastChunk));
  last_chunk.Bind(1, learner->pk);
  PATHWISE_ASSIGN_OR_RETURN(const bool has_events, last_chunk.Step());
  if (has_events) {
    PATHWISE_RETURN_IF_ERROR(VerifyChunk(last_chunk, 0, tenant_id, learner_id));
    Result<uint64_t> count = internal::CountEvents(last_chunk.ColumnBlob(2));
    if (!count.ok()) return internal::LearnerContext(count.status(), learner_id);
    out.last_event_sequence =
        (last_chunk.ColumnInt64(0) << kSequenceShift) + static_cast<int64_t>(*count) - 1;
  }
  return out;
}

Status SqliteStore::DoForEachLearner(std::string_view tenant_id,
                                     const std::function<Status(const StoredLearner&)>& visitor) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kSelectAllLearners));
  select.Bind(1, tenant_id);
  for (bool any = false;; any = true) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return any ? Status::Ok() : internal::CheckTenantMiss(*reader, tenant_id);
    const std::string learner_id = select.ColumnText(0);
    PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 5, 6, tenant_id));
    PATHWISE_RETURN_IF_ERROR(internal::VerifyRowChecksum(
        internal::StoredChecksum(select, 4),
        [&] {
          return LearnerChecksum(select.ColumnInt64(3), select.ColumnInt64(5), learner_id,
                                 static_cast<uint64_t>(select.ColumnInt64(1)),
                                 select.ColumnBlob(2));
        },
        [&] {
          return NameLearner(tenant_id, 0, learner_id, 0) + ": its learners row (" +
                 std::to_string(select.ColumnInt64(3)) + ")";
        }));
    if (!internal::IsValidUtf8(learner_id)) {
      return Status(StatusCode::kDataLoss,
                    "tenant '" + std::string(tenant_id) +
                        "': a learner id that is not UTF-8 (learners row " +
                        std::to_string(select.ColumnInt64(3)) +
                        "): the database file is damaged; restore it from a backup");
    }
    PATHWISE_ASSIGN_OR_RETURN(
        StoredLearner state,
        internal::DecodeLearner(learner_id, static_cast<uint64_t>(select.ColumnInt64(1)),
                                select.ColumnBlob(2)));
    // The open select keeps one read snapshot for this query as well.
    PATHWISE_ASSIGN_OR_RETURN(state.policy_states, ReadPolicyStates(*reader, select.ColumnInt64(3),
                                                                    tenant_id, learner_id));
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
    PATHWISE_RETURN_IF_ERROR(VerifyChunk(select, 0, tenant_id, learner_id));
    const int64_t first_sequence = select.ColumnInt64(0) << kSequenceShift;
    Status decoded = internal::DecodeEvents(
        select.ColumnBlob(2), [&](size_t index, std::string_view event_id,
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
    if (!decoded.ok()) return decoded.WithContext(NameLearner(tenant_id, 0, learner_id, 0));
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
    PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 1, 2, tenant_id));
    out.push_back(select.ColumnText(0));
    if (!internal::IsValidUtf8(out.back())) {
      return Status(StatusCode::kDataLoss, "tenant '" + std::string(tenant_id) +
                                               "': a learner id that is not UTF-8: the database "
                                               "file is damaged; restore it from a backup");
    }
  }
  if (out.empty()) PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
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
    if (!learner.has_value()) {
      PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(db, tenant_id));
      return internal::LearnerNotFound(learner_id);
    }
    // Events go with the learner (ON DELETE CASCADE); the key is never reused (AUTOINCREMENT).
    PATHWISE_ASSIGN_OR_RETURN(Statement remove, db.Prepare(sql::kDeleteLearner));
    remove.Bind(1, learner->pk);
    PATHWISE_RETURN_IF_ERROR(remove.Run());
    impl_->event_ids->Erase(learner->pk);
    return Status::Ok();
  });
}

Status internal::SignLearnerRows(Connection& db, const internal::KeySlice& keys) {
  PATHWISE_RETURN_IF_ERROR(SignRows(
      db, sql::kUnsignedLearners, sql::kSignLearner, keys,
      [](const Statement& row, Statement& update) {
        update.Bind(1, LearnerChecksum(row.ColumnInt64(0), row.ColumnInt64(1), row.ColumnBlob(2),
                                       static_cast<uint64_t>(row.ColumnInt64(3)), row.ColumnBlob(4))
                           .value());
        update.Bind(2, row.ColumnInt64(0));
      }));
  PATHWISE_RETURN_IF_ERROR(SignRows(
      db, sql::kUnsignedChunks, sql::kSignChunk, keys, [](const Statement& row, Statement& update) {
        update.Bind(
            1, ChunkChecksum(row.ColumnInt64(0), row.ColumnInt64(1), row.ColumnBlob(2)).value());
        update.Bind(2, row.ColumnInt64(0));
      }));
  return SignRows(
      db, sql::kUnsignedPolicyStates, sql::kSignPolicyState, keys,
      [](const Statement& row, Statement& update) {
        update.Bind(
            1,
            PolicyStateChecksum(row.ColumnInt64(0), row.ColumnBlob(1), row.ColumnBlob(2)).value());
        update.Bind(2, row.ColumnInt64(0));
        update.Bind(3, row.ColumnBlob(1));
      });
}

Result<bool> SqliteStore::Impl::CheckOnOneSnapshot() {
  const SqliteIntegrityCheck mode = options.integrity_check;
  const auto damaged = [&](const std::string& what) {
    // A row's own damage report already says what to do.
    const bool advised = what.find("restore it from a backup") != std::string::npos;
    return Status(StatusCode::kDataLoss, "'" + path + "' is damaged: " + what +
                                             (advised ? "" : " (restore it from a backup)"));
  };
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(internal::ReadTransaction transaction,
                            internal::ReadTransaction::Begin(*reader));
  const char* pragma =
      mode == SqliteIntegrityCheck::kFull ? sql::kIntegrityCheck : sql::kQuickCheck;
  {
    PATHWISE_ASSIGN_OR_RETURN(Statement check, reader->Prepare(pragma));
    std::string problems;
    for (;;) {
      Result<bool> row = check.Step();
      if (!row.ok()) return damaged(std::string(pragma) + " failed: " + row.status().message());
      if (!*row) break;
      const std::string line = check.ColumnText(0);
      if (line == "ok") continue;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    if (!problems.empty()) return damaged(std::string(pragma) + " found: " + problems);
  }
  // Every row with a checksum, so that damage in rows nobody read lately is found too.
  const auto scan = [&](const char* select_sql, const auto& verify) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(select_sql));
    for (;;) {
      Result<bool> row = select.Step();
      if (!row.ok()) return damaged(row.status().message());
      if (!*row) return Status::Ok();
      Status verified = verify(select);
      if (!verified.ok()) return damaged(verified.message());
    }
  };
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanTenants, [](const Statement& row) {
    return internal::VerifyTenantRow(row, 0, 2, row.ColumnText(1));
  }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanLearners, [](const Statement& row) {
    return VerifiedLearnerRow(row, "").status();
  }));
  PATHWISE_RETURN_IF_ERROR(
      scan(sql::kScanChunks, [](const Statement& row) { return VerifyChunk(row, 0, "", ""); }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanPolicyStates, [](const Statement& row) {
    return VerifiedPolicyState(row, "", "").status();
  }));
  // The rest carry their tenant's id in their last column.
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanGraphs, [](const Statement& row) {
    return internal::VerifyGraphRow(row, row.ColumnText(4));
  }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanRosters, [](const Statement& row) {
    return internal::VerifyRosterRow(row, row.ColumnText(4));
  }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanModels, [](const Statement& row) {
    return internal::VerifyModelRow(row, row.ColumnText(5));
  }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanStateOrigins, [](const Statement& row) {
    return internal::VerifyStateOriginRow(row, row.ColumnText(3));
  }));
  PATHWISE_RETURN_IF_ERROR(scan(sql::kScanJobs, [](const Statement& row) {
    return internal::VerifyJobRow(row, row.ColumnText(14));
  }));
  PATHWISE_ASSIGN_OR_RETURN(const int64_t pending, reader->QueryInt(sql::kChecksumBackfillPending));
  return pending != 0;
}

// About 17 s per GiB in all on the 2-core VM (bench/README.md, "Signing the rows written before
// checksums"); a slice of 1024 keys took under 0.1 s there.
Status SqliteStore::Impl::SignRowsWrittenBeforeChecksums() {
  constexpr int64_t kKeysPerSlice = 1024;
  int64_t after = 0;  // every key up to it is done
  bool done = false;
  const auto sign_slice = [&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(sql::kNextKey));
    next.Bind(1, after);
    PATHWISE_ASSIGN_OR_RETURN(const bool row, next.Step());
    if (!row || next.ColumnIsNull(0)) {
      done = true;
      return db.Run(sql::kChecksumBackfillDone);
    }
    const int64_t first = next.ColumnInt64(0);
    const internal::KeySlice keys{first - 1, first - 1 + kKeysPerSlice};
    PATHWISE_RETURN_IF_ERROR(internal::SignTenantRows(db, keys));
    PATHWISE_RETURN_IF_ERROR(internal::SignCurriculumRows(db, keys));
    PATHWISE_RETURN_IF_ERROR(internal::SignJobRows(db, keys));
    PATHWISE_RETURN_IF_ERROR(internal::SignLearnerRows(db, keys));
    after = keys.up_to;
    return Status::Ok();
  };
  while (!done) PATHWISE_RETURN_IF_ERROR(writer->Write(sign_slice));
  return Status::Ok();
}

Status SqliteStore::DoCheckIntegrity() {
  if (impl_->options.integrity_check == SqliteIntegrityCheck::kOff) return Status::Ok();
  PATHWISE_ASSIGN_OR_RETURN(const bool unsigned_rows, impl_->CheckOnOneSnapshot());
  if (!unsigned_rows) return Status::Ok();
  return impl_->SignRowsWrittenBeforeChecksums();
}

}  // namespace pathwise::store

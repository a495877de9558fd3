// Damage to SqliteStore's file is refused at open, reported on read or by CheckIntegrity, and
// never served as altered data (issue 15, defect 16): row checksums (schema version 6), SQLite's
// quick_check, and UTF-8 checks on what is read back.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

using testing::LearnerBatch;
using testing::TempDir;

SqliteStoreOptions OptionsFor(const std::string& dir, bool check_at_open = true) {
  SqliteStoreOptions options;
  options.data_dir = dir;
  options.check_integrity_at_open = check_at_open;
  return options;
}

// Runs SQL on the database file with a connection of its own.
void RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::vector<int64_t> QueryInts(const std::string& path, const std::string& sql) {
  std::vector<int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

std::string Db(const TempDir& dir) { return dir.path() + "/pathwise.db"; }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A learner with events in three commits and a policy state.
void WriteLearner(LearnerStore& store, const std::string& tenant, const std::string& learner,
                  int events) {
  for (int commit = 0; commit < 3; ++commit) {
    EventBatch batch = LearnerBatch(tenant, learner, learner + "-c" + std::to_string(commit) + "-",
                                    events, 1000 * (commit + 1));
    batch.learners[0].policy_states.push_back(
        {"zpdes", "state of " + learner + " after " + std::to_string(commit)});
    ASSERT_OK(store.CommitEvents(batch));
  }
}

TEST(SqliteIntegrityTest, DamagedRowsAreDataLossNamingTenantLearnerAndRow) {
  const struct {
    const char* damage;
    const char* names;  // in the error of a read of ann
  } kCases[] = {
      // A state's value changed in place: the blob still decodes.
      // No states at all: a blob that decodes.
      {"UPDATE learners SET states = x'' WHERE learner_id = 'ann'", "learners row"},
      {"UPDATE learners SET version = version + 1 WHERE learner_id = 'ann'", "learners row"},
      {"UPDATE event_chunks SET events = CAST(replace(CAST(events AS TEXT), 'ann-c1-1', "
       "'ann-c1-7') AS BLOB) WHERE chunk_pk = (SELECT MIN(chunk_pk) + 1 FROM event_chunks "
       "WHERE learner_pk = (SELECT learner_pk FROM learners WHERE learner_id = 'ann'))",
       "event chunk"},
      {"UPDATE policy_states SET state = 'altered' WHERE learner_pk = "
       "(SELECT learner_pk FROM learners WHERE learner_id = 'ann')",
       "policy 'zpdes'"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.damage);
    TempDir dir;
    {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
      ASSERT_OK(store);
      WriteLearner(**store, "acme", "ann", 4);
      WriteLearner(**store, "acme", "bob", 4);
    }
    RunSql(Db(dir), c.damage);

    // The check at open refuses the file.
    Result<std::unique_ptr<SqliteStore>> refused = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), "fails its checksum")) << refused.status();

    // Unchecked at open, the read that meets the row reports it; the other learner is served.
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    Status read = (*store)->GetLearner("acme", "ann").status();
    if (read.ok()) read = (*store)->ListEvents("acme", "ann", 0, 0).status();
    EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
    EXPECT_TRUE(Contains(read.message(), "tenant 'acme', learner 'ann'")) << read;
    EXPECT_TRUE(Contains(read.message(), c.names)) << read;
    EXPECT_OK((*store)->GetLearner("acme", "bob"));
    EXPECT_OK((*store)->ListEvents("acme", "bob", 0, 0));

    // CheckIntegrity finds it too, and from then on the store serves nothing.
    Status checked = (*store)->CheckIntegrity();
    EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
    EXPECT_EQ((*store)->GetLearner("acme", "bob").status().code(), StatusCode::kDataLoss);
    EXPECT_EQ((*store)->ListTenants().status().code(), StatusCode::kDataLoss);
  }
}

// Damage that SQLite's own check finds (a b-tree page's header), while the store is open.
TEST(SqliteIntegrityTest, CheckIntegrityOfAnOpenStoreFindsDamagedPages) {
  TempDir dir;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
  ASSERT_OK(store);
  for (int i = 0; i < 20; ++i) WriteLearner(**store, "acme", "l" + std::to_string(i), 50);
  ASSERT_OK((*store)->CheckIntegrity());
  ASSERT_OK((*store)->Close());
  const std::vector<int64_t> pages = QueryInts(
      Db(dir), "SELECT pageno FROM dbstat WHERE name = 'event_chunks' AND pagetype = 'leaf'");
  ASSERT_FALSE(pages.empty());
  // Not checked at open, so that no reader holds the page in its cache when it is damaged.
  store = SqliteStore::Open(OptionsFor(dir.path(), false));
  ASSERT_OK(store);
  {
    // The page's cell count, rewritten behind the store's back.
    std::fstream file(Db(dir), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((pages[0] - 1) * 4096 + 3);
    file.put(static_cast<char>(0x7f));
  }
  Status checked = (*store)->CheckIntegrity();
  EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
  EXPECT_TRUE(Contains(checked.message(), "is damaged")) << checked;
  EXPECT_TRUE(Contains(checked.message(), Db(dir))) << checked;
  EXPECT_EQ((*store)->GetLearner("acme", "l0").status().code(), StatusCode::kDataLoss);
}

// A store written before schema version 6 has no checksums: its rows are read as they are, the
// migration adds the column, and rows written after it carry checksums. Ids read back must still
// be UTF-8.
TEST(SqliteIntegrityTest, RowsWrittenBeforeChecksumsAreAcceptedButNotInvalidUtf8) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    WriteLearner(**store, "acme", "ann", 3);
    WriteLearner(**store, "acme", "bob", 3);
  }
  // Back to schema version 5.
  RunSql(Db(dir),
         "ALTER TABLE learners DROP COLUMN checksum; ALTER TABLE event_chunks DROP COLUMN checksum;"
         "ALTER TABLE policy_states DROP COLUMN checksum; UPDATE schema_version SET version = 5");
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    Result<std::vector<StoredObservation>> events = (*store)->ListEvents("acme", "ann", 0, 0);
    ASSERT_OK(events);
    EXPECT_EQ(events->size(), 9u);
    ASSERT_OK((*store)->GetLearner("acme", "ann"));
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "cid", "new-", 2)));
  }
  EXPECT_EQ(QueryInts(Db(dir), "SELECT version FROM schema_version"),
            std::vector<int64_t>{SqliteStore::kSchemaVersion});
  EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM event_chunks WHERE checksum IS NULL"),
            std::vector<int64_t>{6});
  // Bob's first chunk, unchecked, gets an event id that is not UTF-8 (0xff).
  RunSql(Db(dir),
         "UPDATE event_chunks SET events = CAST(replace(CAST(events AS TEXT), 'bob-c0-1', "
         "'bob-c0-' || CAST(x'ff' AS TEXT)) AS BLOB) WHERE chunk_pk = (SELECT MIN(chunk_pk) FROM "
         "event_chunks WHERE learner_pk = (SELECT learner_pk FROM learners WHERE learner_id = "
         "'bob'))");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
  ASSERT_OK(store);
  Status read = (*store)->ListEvents("acme", "bob", 0, 0).status();
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
  EXPECT_TRUE(Contains(read.message(), "not UTF-8")) << read;
  EXPECT_TRUE(Contains(read.message(), "learner 'bob'")) << read;
  EXPECT_OK((*store)->ListEvents("acme", "ann", 0, 0));
}

// Everything a tenant reads at start and serves, as text: what the store holds, or where a read
// was refused ("ERROR" lines are refusals, which the flip test accepts; anything else must match).
std::vector<std::string> ReadEverything(LearnerStore& store, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  auto describe_learner = [](const StoredLearner& l) {
    std::ostringstream text;
    text.precision(17);
    text << l.learner_id << " v" << l.version << " last " << l.last_event_sequence;
    for (const MasteryEstimate& e : l.competencies) {
      text << " [" << e.competency_id << " " << e.p_learned << " " << e.opportunities << " "
           << e.last_practiced_ms << " " << e.mastered << "]";
    }
    for (const PolicyState& p : l.policy_states) text << " {" << p.policy << " " << p.state << "}";
    return text.str();
  };
  for (const std::string& id : ids) {
    Result<StoredLearner> learner = store.GetLearner("acme", id);
    out.push_back(learner.ok() ? describe_learner(*learner) : "ERROR");
    Result<std::vector<StoredObservation>> events = store.ListEvents("acme", id, 0, 0);
    if (!events.ok()) {
      out.push_back("ERROR");
      continue;
    }
    std::ostringstream text;
    text.precision(17);
    for (const StoredObservation& e : *events) {
      text << e.sequence << " " << e.observation.event_id << " " << e.observation.learner_id << " "
           << e.observation.activity_id << " " << e.observation.outcome << " "
           << e.observation.timestamp_ms << "\n";
    }
    out.push_back(text.str());
  }
  // At start the tenant visits every learner: each visited one must be as stored.
  std::vector<std::string> visited;
  Status all = store.ForEachLearner("acme", [&](const StoredLearner& l) {
    visited.push_back(describe_learner(l));
    return Status::Ok();
  });
  std::string joined;
  for (const std::string& v : visited) joined += v + "\n";
  out.push_back(all.ok() ? joined : "ERROR after " + joined);
  return out;
}

// Single-bit flips in the pages that hold the learners' rows (their states, event chunks, policy
// states, with the chunks' overflow pages), one at a time on a copy of a store, each followed by
// an open and a read of everything: each flip is refused at open, reported by the read that meets
// it, or harmless (everything read equals what was written); none is served as altered data.
TEST(SqliteIntegrityTest, SingleBitFlipsAreRefusedReportedOrHarmless) {
  TempDir original;
  std::vector<std::string> ids;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(original.path()));
    ASSERT_OK(store);
    for (int i = 0; i < 24; ++i) {
      ids.push_back("learner-" + std::to_string(i));
      WriteLearner(**store, "acme", ids.back(), 5 + 7 * (i % 5));
    }
  }
  std::vector<std::string> expected;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(original.path()));
    ASSERT_OK(store);
    expected = ReadEverything(**store, ids);
  }
  for (const std::string& line : expected) ASSERT_EQ(line.find("ERROR"), std::string::npos);
  const std::vector<int64_t> pages =
      QueryInts(Db(original),
                "SELECT pageno FROM dbstat WHERE name IN ('learners', 'event_chunks', "
                "'policy_states') ORDER BY pageno");
  ASSERT_GE(pages.size(), 4u);
  std::string bytes;
  {
    std::ifstream in(Db(original), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(bytes.size() % 4096, 0u);

  // Each flip twice: with the check at open (the default), and without it, where the reads alone
  // must find the damage.
  constexpr int kFlips = 60;
  for (const bool check_at_open : {true, false}) {
    int refused = 0, reported = 0, harmless = 0;
    for (int seed = 0; seed < kFlips; ++seed) {
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      const int64_t page = pages[rng() % pages.size()];
      const size_t offset = static_cast<size_t>(page - 1) * 4096 + rng() % 4096;
      const int bit = static_cast<int>(rng() % 8);
      SCOPED_TRACE("seed " + std::to_string(seed) + ": page " + std::to_string(page) + ", byte " +
                   std::to_string(offset) + ", bit " + std::to_string(bit) +
                   (check_at_open ? ", checked at open" : ", unchecked at open"));
      TempDir copy;
      {
        std::string flipped = bytes;
        flipped[offset] = static_cast<char>(flipped[offset] ^ (1 << bit));
        std::ofstream out(Db(copy), std::ios::binary);
        out.write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
      }
      Result<std::unique_ptr<SqliteStore>> store =
          SqliteStore::Open(OptionsFor(copy.path(), check_at_open));
      if (!store.ok()) {
        EXPECT_TRUE(store.status().code() == StatusCode::kDataLoss ||
                    store.status().code() == StatusCode::kFailedPrecondition)
            << store.status();
        ++refused;
        continue;
      }
      const std::vector<std::string> read = ReadEverything(**store, ids);
      ASSERT_EQ(read.size(), expected.size());
      bool any_error = false;
      for (size_t i = 0; i < read.size(); ++i) {
        if (read[i].rfind("ERROR", 0) == 0) {
          any_error = true;
          // What was visited before the refusal was served, and must be as stored.
          const std::string served = read[i].substr(std::min(read[i].size(), size_t{12}));
          EXPECT_EQ(expected[i].compare(0, served.size(), served), 0) << "served before an error";
          continue;
        }
        EXPECT_EQ(read[i], expected[i]) << "altered data served (item " << i << ")";
      }
      ++(any_error ? reported : harmless);
    }
    std::printf("%d single-bit flips, %s: %d refused at open, %d reported on read, %d harmless\n",
                kFlips, check_at_open ? "checked at open" : "unchecked at open", refused, reported,
                harmless);
    EXPECT_EQ(refused + reported + harmless, kFlips);
    EXPECT_GT(refused + reported, kFlips / 2);
  }
}

}  // namespace
}  // namespace pathwise::store

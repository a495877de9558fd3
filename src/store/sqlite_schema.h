// SqliteStore's schema: the migrations from an empty file to SqliteStore::kSchemaVersion and the
// settings every database is opened with. Private to pathwise::store.
#ifndef PATHWISE_STORE_SQLITE_SCHEMA_H_
#define PATHWISE_STORE_SQLITE_SCHEMA_H_

#include <string>

#include <pathwise/status.h>

#include "store/sqlite_connection.h"

namespace pathwise::store::internal {

/// Makes the writer's connection `db` to the database file `path` ready for the store: checks that
/// the file is empty or a Pathwise store no newer than this build (FailedPrecondition otherwise)
/// before changing anything in it, switches it to WAL journaling with synchronous=FULL and foreign
/// keys on, and migrates its schema forward, each migration in its own transaction.
Status PrepareDatabase(Connection& db, const std::string& path);

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_SQLITE_SCHEMA_H_

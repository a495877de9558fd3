// pathwised's configuration: a JSON file, overridable by command-line flags.
//
//     {
//       "listen": "127.0.0.1:50051",
//       "metrics_listen": "127.0.0.1:9464",   (optional: Prometheus metrics over plain HTTP)
//       "data_dir": "/var/lib/pathwised",
//       "store": "sqlite",            (or "memory", or "postgresql://user@host/dbname")
//       "tls": {"cert": "server.crt", "key": "server.key", "client_ca": "clients.crt"},
//       "tenants": [
//         {"id": "acme", "api_keys": ["<at least 16 characters>"],
//          "curriculum": {"individual_pace": true, "pace_prior_sd": 1.0,
//                         "mastery_min_opportunities": 3, "mastery_recent_correct": 2,
//                         "advance_threshold": 0.85,
//                         "progress_weight": 1.0, "stall_min_attempts": 6,
//                         "stall_max_recent_correct": 2, "stall_pause_hours": 168}}
//       ],
//       "limits": {"max_message_bytes": 16777216, "max_batch_events": 10000, "max_id_bytes": 128,
//                  "max_text_bytes": 16384, "max_graph_items": 200000, "max_list_items": 10000,
//                  "max_k": 100, "max_queued_jobs": 4},
//       "shutdown_grace_seconds": 10,
//       "fit_threads": 1,
//       "fit_lease_seconds": 30,
//       "integrity_check": "quick",
//       "integrity_check_interval_seconds": 3600,
//       "memory_compaction_interval_seconds": 600,
//       "log_level": "info"
//     }
//
// Every key is optional except "tenants"; unknown keys are errors (a typo never silently falls back
// to a default). Relative paths are relative to the working directory.
#ifndef PATHWISE_APP_CONFIG_H_
#define PATHWISE_APP_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include <pathwise/mastery_tracker.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/limits.h"

namespace pathwise::app {

struct TenantConfig {
  std::string id;  ///< an id (limits.h charset)
  /// Keys that authenticate as this tenant (`authorization: Bearer <key>`): at least one, each at
  /// least 16 bytes of printable ASCII without spaces, unique across tenants.
  std::vector<std::string> api_keys;
  /// The tenant's course settings, from its "curriculum" object (every key optional, the library's
  /// defaults otherwise): "mastery_min_opportunities", "mastery_recent_correct" (evidence before
  /// "mastered"; a competency's own setting in the graph takes precedence), "advance_threshold"
  /// (where the policy lets a learner go on; 1 waits for mastery), "progress_weight",
  /// "stall_min_attempts", "stall_max_recent_correct", "stall_pause_hours" (stalls) go to the
  /// mastery policy's options (recommender.mastery, keys named as its fields; the engine keeps its
  /// tracker's evidence, and so GetMastery's `mastered`, equal to the policy's); "individual_pace"
  /// and "pace_prior_sd" to the tracker's. A learner's pace, and each competency's last answers
  /// (with its state), are kept in the store with the events.
  RecommenderOptions recommender;
  TrackerOptions tracker;
};

struct TlsConfig {
  std::string cert;       ///< PEM certificate chain file; empty: plaintext (loopback use only)
  std::string key;        ///< PEM private key file; required with cert
  std::string client_ca;  ///< PEM CA file; when set, clients must present a certificate it signed
};

struct ServerConfig {
  /// host:port; port 0 picks a free port. Empty: no network port at all (in-process channels only,
  /// for tests and embedding; pathwised refuses it).
  std::string listen = "127.0.0.1:50051";
  /// host:port of the metrics endpoint (GET /metrics, plain HTTP: keep it on a private network);
  /// port 0 picks a free port. Empty (the default): no metrics endpoint.
  std::string metrics_listen;
  std::string data_dir;  ///< required for the sqlite store
  /// "sqlite" (the embedded default, in data_dir), "memory" (tests, demos), or a PostgreSQL
  /// connection URI, `postgresql://user@host:5432/dbname` (several pathwised processes may share
  /// one database; keep the password in PGPASSWORD or ~/.pgpass, not here).
  std::string store = "sqlite";
  TlsConfig tls;
  std::vector<TenantConfig> tenants;
  ServiceLimits limits;
  /// On SIGTERM/SIGINT, in-flight calls get this long to finish before they are cancelled. In [0,
  /// 3600].
  double shutdown_grace_seconds = 10.0;
  /// Threads of one model fit. In [1, 256].
  int fit_threads = 1;
  /// How long a replica's claim on the fit job it runs holds without renewal (JobLeaseOptions:
  /// renewed every third of it; other replicas read the jobs every sixth of it, at most 5 s): a
  /// dead replica's job is taken over this long after its last renewal. In [0.3, 3600].
  double fit_lease_seconds = 30.0;
  /// How much of the SQLite store is checked for damage as soon as the server serves and then every
  /// integrity_check_interval_seconds: "quick" (SQLite's quick_check and every row checksum),
  /// "full" (integrity_check, which also checks every index against its table: about twice the
  /// time) or "off". The first check runs beside the traffic so that a start does not wait seconds
  /// per GiB (every row read is verified by its checksum meanwhile); damage found turns health
  /// NOT_SERVING and every call DATA_LOSS. PostgreSQL checks its own pages (initdb
  /// --data-checksums) and the memory store has nothing to check.
  std::string integrity_check = "quick";
  /// Seconds between two checks of the running store; 0: only the one at start. In [0, 31536000].
  /// Either way a check also runs as soon as a call meets damage (a row failing its checksum).
  double integrity_check_interval_seconds = 3600.0;
  /// Seconds between two compactions of the learners' state in memory (Tenant::CompactMemory):
  /// state grown by recording holds about a fifth more than the same state restored at a start,
  /// and a compaction (0.3-0.4 s of one core per 10 million states, beside the traffic) gives
  /// that back. 0: never (memory grows towards that fifth more); else in [1, 31536000].
  double memory_compaction_interval_seconds = 600.0;
  std::string log_level = "info";

  /// InvalidArgument naming the first bad field ("tenants[1].api_keys[0]", "limits.max_k", ...).
  Status Validate() const;
};

/// Parses config JSON (see the file comment). Types and keys are checked here; ranges and required
/// fields by ServerConfig::Validate, which the caller runs once command-line flags are applied.
/// InvalidArgument "<source>:<line>:<column>: ..." for a syntax error, "<source>: <field>: ..."
/// otherwise.
Result<ServerConfig> ParseServerConfig(std::string_view text, std::string_view source_name);

/// ParseServerConfig of a file. NotFound when it does not exist.
Result<ServerConfig> ReadServerConfigFile(const std::string& path);

}  // namespace pathwise::app

#endif  // PATHWISE_APP_CONFIG_H_

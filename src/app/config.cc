#include "app/config.h"

#include <climits>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/postgres_store.h"

namespace pathwise::app {
namespace {

using nlohmann::json;

Status Bad(std::string_view source, const std::string& field, const std::string& message) {
  return Status::InvalidArgument(std::string(source) + ": " + field + ": " + message);
}

Status CheckKeys(const json& object, std::string_view source, const std::string& field,
                 std::initializer_list<const char*> allowed) {
  if (!object.is_object()) return Bad(source, field.empty() ? "(top)" : field, "must be an object");
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (const char* key : allowed) known = known || it.key() == key;
    if (!known) {
      std::string list;
      for (const char* key : allowed) list += std::string(list.empty() ? "" : ", ") + key;
      return Bad(source, field.empty() ? it.key() : field + "." + it.key(),
                 "unknown key (expected one of " + list + ")");
    }
  }
  return Status::Ok();
}

Status GetString(const json& object, const char* key, std::string_view source,
                 const std::string& field, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_string()) return Bad(source, field, "must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status GetInt(const json& object, const char* key, std::string_view source,
              const std::string& field, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number_integer()) return Bad(source, field, "must be an integer");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status GetDouble(const json& object, const char* key, std::string_view source,
                 const std::string& field, double* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number()) return Bad(source, field, "must be a number");
  *out = it->get<double>();
  return Status::Ok();
}

Status ParseLimits(const json& object, std::string_view source, ServiceLimits* limits) {
  PATHWISE_RETURN_IF_ERROR(CheckKeys(
      object, source, "limits",
      {"max_message_bytes", "max_batch_events", "max_id_bytes", "max_text_bytes", "max_graph_items",
       "max_list_items", "max_k", "max_queued_jobs", "max_fit_restarts", "max_fit_iterations",
       "max_fit_work", "max_event_filter_bytes", "max_streams_per_tenant"}));
  const std::pair<const char*, int64_t*> fields[] = {
      {"max_message_bytes", &limits->max_message_bytes},
      {"max_batch_events", &limits->max_batch_events},
      {"max_id_bytes", &limits->max_id_bytes},
      {"max_text_bytes", &limits->max_text_bytes},
      {"max_graph_items", &limits->max_graph_items},
      {"max_list_items", &limits->max_list_items},
      {"max_k", &limits->max_k},
      {"max_queued_jobs", &limits->max_queued_jobs},
      {"max_fit_restarts", &limits->max_fit_restarts},
      {"max_fit_iterations", &limits->max_fit_iterations},
      {"max_fit_work", &limits->max_fit_work},
      {"max_event_filter_bytes", &limits->max_event_filter_bytes},
      {"max_streams_per_tenant", &limits->max_streams_per_tenant}};
  for (const auto& [key, target] : fields) {
    PATHWISE_RETURN_IF_ERROR(GetInt(object, key, source, std::string("limits.") + key, target));
  }
  return Status::Ok();
}

Status ParseCurriculum(const json& object, std::string_view source, const std::string& at,
                       TenantConfig* tenant) {
  PATHWISE_RETURN_IF_ERROR(
      CheckKeys(object, source, at,
                {"mastery_min_opportunities", "mastery_recent_correct", "advance_threshold",
                 "progress_weight", "stall_min_attempts", "stall_max_recent_correct",
                 "stall_pause_hours", "individual_pace", "pace_prior_sd"}));
  MasteryPolicyOptions& r = tenant->recommender.mastery;
  const std::pair<const char*, int*> ints[] = {
      {"mastery_min_opportunities", &r.mastery_min_opportunities},
      {"mastery_recent_correct", &r.mastery_recent_correct},
      {"stall_min_attempts", &r.stall_min_attempts},
      {"stall_max_recent_correct", &r.stall_max_recent_correct}};
  for (const auto& [key, target] : ints) {
    int64_t value = *target;
    const std::string field = at + "." + key;
    PATHWISE_RETURN_IF_ERROR(GetInt(object, key, source, field, &value));
    if (value < INT_MIN || value > INT_MAX) return Bad(source, field, "out of range");
    *target = static_cast<int>(value);
  }
  PATHWISE_RETURN_IF_ERROR(GetDouble(object, "advance_threshold", source, at + ".advance_threshold",
                                     &r.advance_threshold));
  PATHWISE_RETURN_IF_ERROR(
      GetDouble(object, "progress_weight", source, at + ".progress_weight", &r.progress_weight));
  PATHWISE_RETURN_IF_ERROR(GetDouble(object, "stall_pause_hours", source, at + ".stall_pause_hours",
                                     &r.stall_pause_hours));
  PATHWISE_RETURN_IF_ERROR(GetDouble(object, "pace_prior_sd", source, at + ".pace_prior_sd",
                                     &tenant->tracker.pace_prior_sd));
  if (auto it = object.find("individual_pace"); it != object.end()) {
    if (!it->is_boolean()) return Bad(source, at + ".individual_pace", "must be true or false");
    tenant->tracker.individual_pace = it->get<bool>();
  }
  return Status::Ok();
}

Status ParseTenants(const json& array, std::string_view source, std::vector<TenantConfig>* out) {
  if (!array.is_array()) return Bad(source, "tenants", "must be an array");
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string at = IndexPath("tenants", i);
    const json& t = array[i];
    PATHWISE_RETURN_IF_ERROR(CheckKeys(t, source, at, {"id", "api_keys", "curriculum"}));
    TenantConfig tenant;
    PATHWISE_RETURN_IF_ERROR(GetString(t, "id", source, at + ".id", &tenant.id));
    auto keys = t.find("api_keys");
    if (keys == t.end() || !keys->is_array()) {
      return Bad(source, at + ".api_keys", "must be an array of strings");
    }
    for (size_t j = 0; j < keys->size(); ++j) {
      if (!(*keys)[j].is_string()) {
        return Bad(source, at + "." + IndexPath("api_keys", j), "must be a string");
      }
      tenant.api_keys.push_back((*keys)[j].get<std::string>());
    }
    if (auto curriculum = t.find("curriculum"); curriculum != t.end()) {
      PATHWISE_RETURN_IF_ERROR(ParseCurriculum(*curriculum, source, at + ".curriculum", &tenant));
    }
    out->push_back(std::move(tenant));
  }
  return Status::Ok();
}

// "host:port" with a decimal port in [0, 65535] (0: any free port). gRPC itself reads the port
// into a 16-bit number, so 127.0.0.1:99999 would quietly listen on 34463.
Status ValidateListen(const std::string& listen, const std::string& field = "listen") {
  if (listen.empty()) return Status::Ok();
  if (listen.rfind("unix:", 0) == 0 || listen.rfind("unix-abstract:", 0) == 0) {
    if (field == "listen") return Status::Ok();
    return Status::InvalidArgument(field + ": expected host:port, got \"" + listen + "\"");
  }
  const size_t colon = listen.rfind(':');
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (colon == std::string::npos || port.empty() ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument(field + ": expected host:port with a decimal port, got \"" +
                                   listen + "\"");
  }
  if (port.size() > 5 || std::stoi(port) > 65535) {
    return Status::InvalidArgument(field + ": port " + port + " is out of range [0, 65535] in \"" +
                                   listen + "\"");
  }
  return Status::Ok();
}

}  // namespace

Status ServerConfig::Validate() const {
  PATHWISE_RETURN_IF_ERROR(ValidateListen(listen));
  PATHWISE_RETURN_IF_ERROR(ValidateListen(metrics_listen, "metrics_listen"));
  if (store != "sqlite" && store != "memory" && !pathwise::store::IsPostgresUri(store)) {
    return Status::InvalidArgument(
        "store: must be \"sqlite\", \"memory\" or a postgresql:// connection URI, got \"" +
        pathwise::store::RedactPostgresUri(store) + "\"");
  }
  if (pathwise::store::IsPostgresUri(store)) {
    pathwise::store::PostgresStoreOptions options;
    options.connection = store;
    PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("store"));
  }
  if (store == "sqlite" && data_dir.empty()) {
    return Status::InvalidArgument("data_dir: required with the sqlite store");
  }
  if (tls.cert.empty() != tls.key.empty()) {
    return Status::InvalidArgument("tls: cert and key must be given together");
  }
  if (!tls.client_ca.empty() && tls.cert.empty()) {
    return Status::InvalidArgument("tls.client_ca: needs tls.cert and tls.key");
  }
  if (tenants.empty()) return Status::InvalidArgument("tenants: at least one tenant is required");
  std::set<std::string> ids, keys;
  for (size_t i = 0; i < tenants.size(); ++i) {
    const std::string at = IndexPath("tenants", i);
    PATHWISE_RETURN_IF_ERROR(ValidateId(tenants[i].id, at + ".id", limits));
    if (!ids.insert(tenants[i].id).second) {
      return Status::InvalidArgument(at + ".id: tenant '" + tenants[i].id + "' is listed twice");
    }
    if (tenants[i].api_keys.empty()) {
      return Status::InvalidArgument(at + ".api_keys: at least one key is required");
    }
    for (size_t j = 0; j < tenants[i].api_keys.size(); ++j) {
      const std::string& key = tenants[i].api_keys[j];
      const std::string key_at = at + "." + IndexPath("api_keys", j);
      if (key.size() < 16) {
        return Status::InvalidArgument(key_at + ": must be at least 16 characters");
      }
      for (char c : key) {
        if (c <= ' ' || c > '~') {
          return Status::InvalidArgument(key_at +
                                         ": only printable ASCII without spaces is allowed");
        }
      }
      if (!keys.insert(key).second) {
        return Status::InvalidArgument(key_at + ": the key is used twice");
      }
    }
    // The "curriculum" keys are the mastery policy's own field names, so its Validate names the
    // key as the file spells it ("mastery_recent_correct must be ..."); the whole options, which
    // a program embedding the server may have set beyond the file's keys, by their paths.
    PATHWISE_RETURN_IF_ERROR(
        tenants[i].recommender.mastery.Validate().WithContext(at + ".curriculum"));
    PATHWISE_RETURN_IF_ERROR(tenants[i].recommender.Validate().WithContext(at + ".recommender"));
    PATHWISE_RETURN_IF_ERROR(tenants[i].tracker.Validate().WithContext(at + ".curriculum"));
  }
  PATHWISE_RETURN_IF_ERROR(limits.Validate());
  if (!(shutdown_grace_seconds >= 0.0 && shutdown_grace_seconds <= 3600.0)) {
    return Status::InvalidArgument("shutdown_grace_seconds: must be in [0, 3600]");
  }
  if (fit_threads < 1 || fit_threads > 256) {
    return Status::InvalidArgument("fit_threads: must be in [1, 256], got " +
                                   std::to_string(fit_threads));
  }
  if (!(fit_lease_seconds >= 0.3 && fit_lease_seconds <= 3600.0)) {
    return Status::InvalidArgument("fit_lease_seconds: must be in [0.3, 3600], got " +
                                   DescribeNumber(fit_lease_seconds));
  }
  if (integrity_check != "quick" && integrity_check != "full" && integrity_check != "off") {
    return Status::InvalidArgument("integrity_check: must be one of quick, full, off, got '" +
                                   integrity_check + "'");
  }
  if (!(integrity_check_interval_seconds >= 0.0 &&
        integrity_check_interval_seconds <= 31536000.0)) {
    return Status::InvalidArgument(
        "integrity_check_interval_seconds: must be in [0, 31536000], got " +
        DescribeNumber(integrity_check_interval_seconds));
  }
  // Below a second, compacting would be most of what the thread does, for nothing.
  if (!(memory_compaction_interval_seconds == 0.0 ||
        (memory_compaction_interval_seconds >= 1.0 &&
         memory_compaction_interval_seconds <= 31536000.0))) {
    return Status::InvalidArgument(
        "memory_compaction_interval_seconds: must be 0 (never) or in [1, 31536000], got " +
        DescribeNumber(memory_compaction_interval_seconds));
  }
  if (log_level != "debug" && log_level != "info" && log_level != "warning" &&
      log_level != "error") {
    return Status::InvalidArgument("log_level: must be one of debug, info, warning, error");
  }
  return Status::Ok();
}

Result<ServerConfig> ParseServerConfig(std::string_view text, std::string_view source_name) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset; turn it into line and column for a person.
    size_t line = 1, column = 1;
    const size_t limit = std::min(static_cast<size_t>(e.byte), text.size());
    for (size_t i = 0; i + 1 < limit; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": " + e.what());
  }
  ServerConfig config;
  PATHWISE_RETURN_IF_ERROR(CheckKeys(
      root, source_name, "",
      {"listen", "data_dir", "store", "tls", "tenants", "limits", "shutdown_grace_seconds",
       "fit_threads", "fit_lease_seconds", "log_level", "metrics_listen", "integrity_check",
       "integrity_check_interval_seconds", "memory_compaction_interval_seconds"}));
  PATHWISE_RETURN_IF_ERROR(GetString(root, "listen", source_name, "listen", &config.listen));
  PATHWISE_RETURN_IF_ERROR(
      GetString(root, "metrics_listen", source_name, "metrics_listen", &config.metrics_listen));
  PATHWISE_RETURN_IF_ERROR(GetString(root, "data_dir", source_name, "data_dir", &config.data_dir));
  PATHWISE_RETURN_IF_ERROR(GetString(root, "store", source_name, "store", &config.store));
  if (auto tls = root.find("tls"); tls != root.end()) {
    PATHWISE_RETURN_IF_ERROR(CheckKeys(*tls, source_name, "tls", {"cert", "key", "client_ca"}));
    PATHWISE_RETURN_IF_ERROR(GetString(*tls, "cert", source_name, "tls.cert", &config.tls.cert));
    PATHWISE_RETURN_IF_ERROR(GetString(*tls, "key", source_name, "tls.key", &config.tls.key));
    PATHWISE_RETURN_IF_ERROR(
        GetString(*tls, "client_ca", source_name, "tls.client_ca", &config.tls.client_ca));
  }
  if (auto tenants = root.find("tenants"); tenants != root.end()) {
    PATHWISE_RETURN_IF_ERROR(ParseTenants(*tenants, source_name, &config.tenants));
  }
  if (auto limits = root.find("limits"); limits != root.end()) {
    PATHWISE_RETURN_IF_ERROR(ParseLimits(*limits, source_name, &config.limits));
  }
  PATHWISE_RETURN_IF_ERROR(GetDouble(root, "shutdown_grace_seconds", source_name,
                                     "shutdown_grace_seconds", &config.shutdown_grace_seconds));
  int64_t fit_threads = config.fit_threads;
  PATHWISE_RETURN_IF_ERROR(GetInt(root, "fit_threads", source_name, "fit_threads", &fit_threads));
  if (fit_threads < 1 || fit_threads > 256) {
    return Bad(source_name, "fit_threads", "must be in [1, 256]");
  }
  config.fit_threads = static_cast<int>(fit_threads);
  PATHWISE_RETURN_IF_ERROR(GetDouble(root, "fit_lease_seconds", source_name, "fit_lease_seconds",
                                     &config.fit_lease_seconds));
  PATHWISE_RETURN_IF_ERROR(
      GetString(root, "integrity_check", source_name, "integrity_check", &config.integrity_check));
  PATHWISE_RETURN_IF_ERROR(GetDouble(root, "integrity_check_interval_seconds", source_name,
                                     "integrity_check_interval_seconds",
                                     &config.integrity_check_interval_seconds));
  PATHWISE_RETURN_IF_ERROR(GetDouble(root, "memory_compaction_interval_seconds", source_name,
                                     "memory_compaction_interval_seconds",
                                     &config.memory_compaction_interval_seconds));
  PATHWISE_RETURN_IF_ERROR(
      GetString(root, "log_level", source_name, "log_level", &config.log_level));
  return config;
}

Result<ServerConfig> ReadServerConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("config file '" + path + "' cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseServerConfig(text.str(), path);
}

}  // namespace pathwise::app

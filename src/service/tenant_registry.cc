#include "service/tenant_registry.h"

#include <cctype>

namespace pathwise::service {
namespace {

constexpr std::string_view kScheme = "bearer ";

// Compares without an early exit, so the time taken does not reveal how much of a key matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

TenantRegistry::TenantRegistry(const std::vector<TenantConfig>& tenants, store::LearnerStore* store,
                               const ServiceLimits* limits) {
  for (const TenantConfig& config : tenants) {
    tenants_.push_back(
        std::make_unique<Tenant>(config.id, store, limits, config.recommender, config.tracker));
    for (const std::string& key : config.api_keys) by_key_.emplace(key, tenants_.back().get());
  }
}

TenantRegistry::~TenantRegistry() = default;

Status TenantRegistry::LoadAll() {
  for (const auto& tenant : tenants_) {
    PATHWISE_RETURN_IF_ERROR(tenant->Load().WithContext("tenant '" + tenant->id() + "'"));
  }
  return Status::Ok();
}

Result<Tenant*> TenantRegistry::Authenticate(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return Status(StatusCode::kUnauthenticated,
                  "missing authorization metadata: send 'authorization: Bearer <api key>'");
  }
  const std::string_view value(it->second.data(), it->second.size());
  bool scheme_ok = value.size() > kScheme.size();
  for (size_t i = 0; scheme_ok && i < kScheme.size(); ++i) {
    scheme_ok = std::tolower(static_cast<unsigned char>(value[i])) == kScheme[i];
  }
  if (!scheme_ok) {
    return Status(StatusCode::kUnauthenticated,
                  "malformed authorization metadata: expected 'Bearer <api key>'");
  }
  const std::string_view key = value.substr(kScheme.size());
  auto found = by_key_.find(std::string(key));
  if (found == by_key_.end() || !ConstantTimeEquals(found->first, key)) {
    return Status(StatusCode::kUnauthenticated, "unknown API key");
  }
  return found->second;
}

Result<Tenant*> TenantRegistry::Find(std::string_view tenant_id) const {
  for (const auto& tenant : tenants_) {
    if (tenant->id() == tenant_id) return tenant.get();
  }
  return Status::NotFound("tenant '" + std::string(tenant_id) + "' is not configured");
}

std::vector<Tenant*> TenantRegistry::tenants() const {
  std::vector<Tenant*> out;
  for (const auto& tenant : tenants_) out.push_back(tenant.get());
  return out;
}

}  // namespace pathwise::service

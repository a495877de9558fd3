#include "app/tenant_registry.h"

#include "app/log.h"

namespace pathwise::app {
namespace {

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
                               const ServiceLimits* limits)
    : store_(store) {
  for (const TenantConfig& config : tenants) {
    tenants_.push_back(
        std::make_unique<Tenant>(config.id, store, limits, config.recommender, config.tracker));
    for (const std::string& key : config.api_keys) by_key_.emplace(key, tenants_.back().get());
    by_id_.emplace(config.id, tenants_.back().get());
  }
}

TenantRegistry::~TenantRegistry() {
  StopMemoryCompaction();  // it calls into the tenants
  // The watch calls into the tenants: it stops before they go.
  if (watching_) (void)store_->WatchChanges(nullptr);
}

void TenantRegistry::OnStoreChange(const store::StoreChange& change) const {
  if (change.kind == store::StoreChange::Kind::kUnknown) {
    for (const auto& tenant : tenants_) tenant->NoteAnythingChanged();
    return;
  }
  // Tenants not in this server's config are none of its business.
  auto found = by_id_.find(change.tenant_id);
  if (found == by_id_.end()) return;
  if (change.kind == store::StoreChange::Kind::kLearner) {
    found->second->NoteLearnerChanged(change.learner_id);
  } else {
    found->second->NoteCurriculumChanged();
  }
}

Status TenantRegistry::LoadAll() {
  // Watching first: a change another replica commits while the tenants load is then either read
  // by the load or announced after it.
  if (!watching_) {
    PATHWISE_RETURN_IF_ERROR(
        store_->WatchChanges([this](const store::StoreChange& change) { OnStoreChange(change); }));
    watching_ = true;
  }
  for (const auto& tenant : tenants_) {
    PATHWISE_RETURN_IF_ERROR(tenant->Load().WithContext("tenant '" + tenant->id() + "'"));
  }
  return Status::Ok();
}

void TenantRegistry::StopBackgroundWork() {
  StopMemoryCompaction();
  for (const auto& tenant : tenants_) tenant->StopBackgroundWork();
}

void TenantRegistry::StartMemoryCompaction(std::chrono::milliseconds interval) {
  if (compactor_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(compactor_mu_);
    stop_compacting_ = false;
  }
  compactor_ = std::thread([this, interval] { CompactMemoryPeriodically(interval); });
}

void TenantRegistry::CompactMemoryPeriodically(std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(compactor_mu_);
  while (!compactor_cv_.wait_for(lock, interval, [this] { return stop_compacting_; })) {
    lock.unlock();
    for (const auto& tenant : tenants_) {
      const auto started = std::chrono::steady_clock::now();
      const size_t released = tenant->CompactMemory();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      LogLine(released > 0 ? LogLevel::kInfo : LogLevel::kDebug, "memory compacted")
          .Add("tenant", tenant->id())
          .Add("released_bytes", static_cast<uint64_t>(released))
          .Add("seconds", seconds);
    }
    lock.lock();
  }
}

void TenantRegistry::StopMemoryCompaction() {
  if (!compactor_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(compactor_mu_);
    stop_compacting_ = true;
  }
  compactor_cv_.notify_all();
  compactor_.join();
}

Result<Tenant*> TenantRegistry::Authenticate(std::string_view api_key) const {
  auto found = by_key_.find(std::string(api_key));
  if (found == by_key_.end() || !ConstantTimeEquals(found->first, api_key)) {
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

}  // namespace pathwise::app

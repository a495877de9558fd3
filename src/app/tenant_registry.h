// The tenants a server serves, and how a call proves which one it is: the API keys of the config.
#ifndef PATHWISE_APP_TENANT_REGISTRY_H_
#define PATHWISE_APP_TENANT_REGISTRY_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/config.h"
#include "app/tenant.h"
#include "store/learner_store.h"

namespace pathwise::app {

/// Maps API keys to tenants and owns the tenants. Only tenants of the config exist: data stored for
/// any other tenant id stays in the store, unreachable.
///
/// Authentication is a per-call check on the key the call carries (the service reads it from the
/// call's `authorization: Bearer <key>` metadata): each RPC handler authenticates first, so no RPC
/// can forget it without its isolation test failing.
///
/// Thread safety: const methods may be called concurrently once LoadAll has returned.
///
/// Example:
///
///     TenantRegistry registry(config.tenants, store, &config.limits);
///     PATHWISE_RETURN_IF_ERROR(registry.LoadAll());
///     Result<Tenant*> tenant = registry.Authenticate(api_key);
class TenantRegistry {
 public:
  /// `store` and `limits` must outlive the registry.
  TenantRegistry(const std::vector<TenantConfig>& tenants, store::LearnerStore* store,
                 const ServiceLimits* limits);
  ~TenantRegistry();

  /// Starts watching the store for other replicas' changes (LearnerStore::WatchChanges, routed
  /// to the tenants' Note* methods until the registry is destroyed), then loads every tenant
  /// (Tenant::Load). Returns the first error, naming the tenant.
  Status LoadAll();

  /// The tenant whose API key is `api_key`. Unauthenticated "unknown API key" otherwise (the same
  /// message for a wrong key as for an unknown one, naming neither tenants nor keys).
  Result<Tenant*> Authenticate(std::string_view api_key) const;

  /// Starts a thread that compacts every tenant's memory (Tenant::CompactMemory) every `interval`
  /// until StopBackgroundWork or destruction: for a server that runs for months, whose learners'
  /// state grows by recording. At most one such thread; a second call changes nothing.
  void StartMemoryCompaction(std::chrono::milliseconds interval);

  /// Stops every tenant's background threads (Tenant::StopBackgroundWork) and the memory
  /// compaction: for a server shutting down, before its store closes.
  void StopBackgroundWork();

  /// NotFound for an id not in the config.
  Result<Tenant*> Find(std::string_view tenant_id) const;
  std::vector<Tenant*> tenants() const;

 private:
  // Routes another replica's change to its tenant (on the store's watch thread).
  void OnStoreChange(const store::StoreChange& change) const;

  // The memory compaction's thread: every interval until stopped.
  void CompactMemoryPeriodically(std::chrono::milliseconds interval);
  void StopMemoryCompaction();

  store::LearnerStore* const store_;
  bool watching_ = false;
  std::thread compactor_;
  std::mutex compactor_mu_;  // guards the flag below
  std::condition_variable compactor_cv_;
  bool stop_compacting_ = false;
  std::vector<std::unique_ptr<Tenant>> tenants_;
  std::unordered_map<std::string, Tenant*> by_key_;
  std::unordered_map<std::string, Tenant*> by_id_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_TENANT_REGISTRY_H_

// Counters, gauges and histograms with labels, rendered in the Prometheus text exposition format
// (version 0.0.4). No network and no gRPC here: the service records into a registry and serves
// its text on a port of its own.
#ifndef PATHWISE_APP_METRICS_H_
#define PATHWISE_APP_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pathwise::app {

/// A count that only goes up.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down (a queue's depth, say).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Observations counted into buckets by upper bound (each bucket counts the observations <= its
/// bound; rendered cumulatively, as Prometheus expects), with their sum and count.
class Histogram {
 public:
  /// `bounds` ascending, finite; the +Inf bucket is implicit.
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);

  /// What has been observed, read bucket by bucket (the count is the buckets' total, so a
  /// rendering is always self-consistent even while other threads observe).
  struct Snapshot {
    std::vector<uint64_t> cumulative;  ///< one per bound, then +Inf
    double sum = 0.0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0.0};
};

namespace internal {

// One set of labels' sample lines; `labels` is `{a="x"` (no closing brace) or empty.
void RenderSamples(const std::string& name, const std::string& labels, const Counter& metric,
                   std::string* out);
void RenderSamples(const std::string& name, const std::string& labels, const Gauge& metric,
                   std::string* out);
void RenderSamples(const std::string& name, const std::string& labels, const Histogram& metric,
                   std::string* out);
inline const char* TypeName(const Counter*) { return "counter"; }
inline const char* TypeName(const Gauge*) { return "gauge"; }
inline const char* TypeName(const Histogram*) { return "histogram"; }

// What every family shares: its name, help and label names, and rendering.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  void Render(std::string* out) const;

 protected:
  // The key of a label set: its values joined by a byte no label value holds here ('\0'). Throws
  // std::logic_error when the number of values is not the number of label names (a bug in the
  // caller, not a condition to handle).
  std::string Key(std::initializer_list<std::string_view> values) const;
  // `{a="x",b="y"` for the key's values, without the closing brace (a histogram adds `le`).
  std::string LabelText(const std::string& key) const;

  virtual const char* type() const = 0;
  // Appends the samples of one label set; `labels` as LabelText gives it.
  virtual void RenderChild(const void* child, const std::string& labels,
                           std::string* out) const = 0;
  // Calls `visit(key, child)` for every label set, sorted by key.
  virtual void ForEachChild(
      const std::function<void(const std::string&, const void*)>& visit) const = 0;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

}  // namespace internal

/// The metrics of one name, one per set of label values (`With` creates a set on first use). A
/// metric returned by `With` stays valid as long as the family: hot paths may keep it.
///
/// Thread safety: every method may be called concurrently. `With` takes a shared lock for a label
/// set seen before (an exclusive one only to add a new set), so concurrent callers do not queue
/// behind each other.
template <typename Metric>
class Family final : public internal::FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
        make_(std::move(make)) {}

  /// The metric for these label values, in the order of the family's label names.
  Metric& With(std::initializer_list<std::string_view> values) {
    std::string key = Key(values);
    {
      std::shared_lock<std::shared_mutex> lock(mu_);
      auto found = children_.find(key);
      if (found != children_.end()) return *found->second;
    }
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto& slot = children_[std::move(key)];
    if (slot == nullptr) slot = make_();
    return *slot;
  }

 private:
  const char* type() const override { return internal::TypeName(static_cast<Metric*>(nullptr)); }
  void RenderChild(const void* child, const std::string& labels, std::string* out) const override {
    internal::RenderSamples(name_, labels, *static_cast<const Metric*>(child), out);
  }
  void ForEachChild(
      const std::function<void(const std::string&, const void*)>& visit) const override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& [key, child] : children_) visit(key, child.get());
  }

  const std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Metric>> children_;
};

/// A set of metric families and what renders them.
///
/// Thread safety: every method may be called concurrently; families live as long as the registry.
///
/// Example:
///
///     MetricsRegistry registry;
///     auto& requests = registry.AddCounter("app_requests_total", "Requests.", {"method"});
///     requests.With({"Get"}).Increment();
///     std::string text = registry.Render();  // # HELP app_requests_total Requests. ...
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, labels [a-zA-Z_][a-zA-Z0-9_]* (and never
  /// `le` on a histogram); a name is registered once. Breaking these is a bug in the caller:
  /// std::logic_error.
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  /// `bounds` ascending and finite (std::logic_error otherwise).
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  /// Runs before every Render (for gauges read from elsewhere, such as a queue's length), in the
  /// order added. It must not call Render.
  void AddCollectHook(std::function<void()> hook);

  /// Every family in the order added: HELP and TYPE lines, then its samples sorted by label
  /// values. Families with labels but no samples yet show only HELP and TYPE.
  std::string Render() const;

 private:
  void Register(std::unique_ptr<internal::FamilyBase> family);

  mutable std::mutex mu_;  // registration and rendering; never taken on a metric's update
  std::vector<std::unique_ptr<internal::FamilyBase>> families_;
  std::vector<std::function<void()>> hooks_;
};

/// The content type of Render's text, for the HTTP reply.
inline constexpr const char* kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

/// `value` as Prometheus writes numbers: the shortest text that reads back as the same double,
/// "+Inf", "-Inf" or "NaN".
std::string FormatMetricValue(double value);

/// Bucket bounds in seconds for request and commit latencies: 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

}  // namespace pathwise::app

#endif  // PATHWISE_APP_METRICS_H_

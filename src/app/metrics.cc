#include "app/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>

namespace pathwise::app {
namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void CheckNames(const std::string& name, const std::vector<std::string>& label_names,
                bool histogram) {
  if (!ValidName(name, /*allow_colon=*/true)) {
    throw std::logic_error("metrics: '" + name + "' is not a valid metric name");
  }
  std::set<std::string> seen;
  for (const std::string& label : label_names) {
    // Names starting with "__" are Prometheus's own.
    if (!ValidName(label, /*allow_colon=*/false) || label.rfind("__", 0) == 0 ||
        (histogram && label == "le") || !seen.insert(label).second) {
      throw std::logic_error("metrics: '" + label + "' is not a usable label name for '" + name +
                             "'");
    }
  }
}

// Label values may hold anything; the format escapes backslash, double quote and line feed.
void AppendEscaped(std::string_view value, bool quote_too, std::string* out) {
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (quote_too && c == '"') {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

void AppendSample(const std::string& name, std::string_view suffix, const std::string& labels,
                  std::string_view value, std::string* out) {
  out->append(name).append(suffix);
  if (!labels.empty()) out->append(labels).push_back('}');
  out->push_back(' ');
  out->append(value).push_back('\n');
}

}  // namespace

void Gauge::Add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // Few buckets: a linear scan beats a binary search's branches.
  size_t i = 0;
  while (i < bounds_.size() && !(value <= bounds_[i])) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.cumulative.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    out.count += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(out.count);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

namespace internal {

void RenderSamples(const std::string& name, const std::string& labels, const Counter& metric,
                   std::string* out) {
  AppendSample(name, "", labels, std::to_string(metric.value()), out);
}

void RenderSamples(const std::string& name, const std::string& labels, const Gauge& metric,
                   std::string* out) {
  AppendSample(name, "", labels, FormatMetricValue(metric.value()), out);
}

void RenderSamples(const std::string& name, const std::string& labels, const Histogram& metric,
                   std::string* out) {
  const Histogram::Snapshot snapshot = metric.snapshot();
  const std::string open = labels.empty() ? "{" : labels + ",";
  for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
    const std::string le =
        i < metric.bounds().size() ? FormatMetricValue(metric.bounds()[i]) : "+Inf";
    AppendSample(name, "_bucket", open + "le=\"" + le + "\"",
                 std::to_string(snapshot.cumulative[i]), out);
  }
  AppendSample(name, "_sum", labels, FormatMetricValue(snapshot.sum), out);
  AppendSample(name, "_count", labels, std::to_string(snapshot.count), out);
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

std::string FamilyBase::Key(std::initializer_list<std::string_view> values) const {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metrics: '" + name_ + "' takes " + std::to_string(label_names_.size()) +
                           " label values, got " + std::to_string(values.size()));
  }
  std::string key;
  for (std::string_view value : values) {
    key.append(value);
    key.push_back('\0');
  }
  return key;
}

std::string FamilyBase::LabelText(const std::string& key) const {
  if (label_names_.empty()) return "";
  std::string out = "{";
  size_t start = 0;
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const size_t end = key.find('\0', start);
    if (i > 0) out.push_back(',');
    out.append(label_names_[i]).append("=\"");
    AppendEscaped(std::string_view(key).substr(start, end - start), /*quote_too=*/true, &out);
    out.push_back('"');
    start = end + 1;
  }
  return out;
}

void FamilyBase::Render(std::string* out) const {
  out->append("# HELP ").append(name_).push_back(' ');
  AppendEscaped(help_, /*quote_too=*/false, out);
  out->append("\n# TYPE ").append(name_).push_back(' ');
  out->append(type()).push_back('\n');
  ForEachChild(
      [&](const std::string& key, const void* child) { RenderChild(child, LabelText(key), out); });
}

}  // namespace internal

Family<Counter>& MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> label_names) {
  CheckNames(name, label_names, /*histogram=*/false);
  const bool unlabelled = label_names.empty();
  auto family =
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names),
                                        [] { return std::make_unique<Counter>(); });
  // A metric without labels shows its 0 from the start, as a counter that exists should.
  if (unlabelled) family->With({});
  Family<Counter>& out = *family;
  Register(std::move(family));
  return out;
}

Family<Gauge>& MetricsRegistry::AddGauge(std::string name, std::string help,
                                         std::vector<std::string> label_names) {
  CheckNames(name, label_names, /*histogram=*/false);
  const bool unlabelled = label_names.empty();
  auto family =
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(label_names),
                                      [] { return std::make_unique<Gauge>(); });
  if (unlabelled) family->With({});
  Family<Gauge>& out = *family;
  Register(std::move(family));
  return out;
}

Family<Histogram>& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds) {
  CheckNames(name, label_names, /*histogram=*/true);
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw std::logic_error("metrics: the bucket bounds of '" + name +
                             "' must be finite and strictly ascending");
    }
  }
  const bool unlabelled = label_names.empty();
  auto family = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  if (unlabelled) family->With({});
  Family<Histogram>& out = *family;
  Register(std::move(family));
  return out;
}

void MetricsRegistry::Register(std::unique_ptr<internal::FamilyBase> family) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& existing : families_) {
    if (existing->name() == family->name()) {
      throw std::logic_error("metrics: '" + family->name() + "' is registered twice");
    }
  }
  families_.push_back(std::move(family));
}

void MetricsRegistry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_.push_back(std::move(hook));
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& hook : hooks_) hook();
  std::string out;
  for (const auto& family : families_) family->Render(&out);
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // %g would write 20 as "2e+01" (its shortest form); whole numbers read better in full.
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace pathwise::app

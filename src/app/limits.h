// Limits on what one request may carry, and the checks every converter applies with them.
#ifndef PATHWISE_APP_LIMITS_H_
#define PATHWISE_APP_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/status.h>

namespace pathwise::app {

/// What one request may carry. A request over a size limit gets RESOURCE_EXHAUSTED naming the
/// field; a malformed one INVALID_ARGUMENT. Defaults suit a course of Junyi's size (about 800
/// competencies) with room to spare; raise them in the config file for bigger curricula.
struct ServiceLimits {
  /// Largest request message in bytes (gRPC's max receive size). In [1 KiB, 1 GiB].
  int64_t max_message_bytes = 16 << 20;
  /// Most events in one RecordEvents request or one StreamEvents message. In [1, 1000000].
  int64_t max_batch_events = 10000;
  /// Longest id (learner, event, activity, competency, group, model, job) in bytes. In [1, 4096].
  int64_t max_id_bytes = 128;
  /// Longest free text (names, descriptions, kinds, tags) in bytes. In [1, 16 MiB].
  int64_t max_text_bytes = 16384;
  /// Most competencies, activities, prerequisites or groups (each) in a graph, and most entries in
  /// each map of a model. In [1, 10000000].
  int64_t max_graph_items = 200000;
  /// Most entries in a request list (goals, exclusions, pins, competency ids, tags). In [1,
  /// 1000000].
  int64_t max_list_items = 10000;
  /// Largest k of Recommend. In [1, 100000].
  int64_t max_k = 100;
  /// Most fit jobs queued or running per tenant. In [1, 1000].
  int64_t max_queued_jobs = 4;
  /// Largest FitOptions.restarts of FitModel. In [1, 10000].
  int64_t max_fit_restarts = 100;
  /// Largest FitOptions.max_iterations of FitModel. In [1, 1000000].
  int64_t max_fit_iterations = 10000;
  /// Most work one fit job may do, in observation-iterations: restarts x max_iterations x stored
  /// events, the most E-step work the fit can take. A job over it fails before it starts, so one
  /// tenant cannot hold the fit thread that every tenant shares. The default is about two minutes
  /// of EM on one core at 72 M observation-iterations/s (DESIGN.md). In [1, 1e15].
  int64_t max_fit_work = 10000000000;
  /// Most memory one tenant's event-id filter may take (app/event_id_filter.h): about 1.25-2.5
  /// bytes per stored event, so the default holds about 140 million events. Past it, duplicates
  /// are still found exactly, by a store lookup for every event of a stored learner (slower). In
  /// [1 MiB, 1 TiB].
  int64_t max_event_filter_bytes = int64_t{256} << 20;
  /// Most streaming calls (StreamEvents, ExportLearner) one tenant may have open at once: each
  /// holds a server thread (and a stalled export reader a page of events), so one tenant cannot
  /// take every thread. A call over it gets RESOURCE_EXHAUSTED.
  /// In [1, 10000].
  int64_t max_streams_per_tenant = 64;

  /// InvalidArgument naming the first field out of its range.
  Status Validate() const;
};

/// An id is 1..max_id_bytes of ASCII letters, digits and - _ . : @ / + = # ~ (so ids are safe in
/// logs, file names, URLs and CSV, and never confusable). InvalidArgument "<field>: ..." naming the
/// offending character's position otherwise.
Status ValidateId(std::string_view id, std::string_view field, const ServiceLimits& limits);

/// Like ValidateId, but the empty string is allowed (an optional reference such as a parent group).
Status ValidateOptionalId(std::string_view id, std::string_view field, const ServiceLimits& limits);

/// Free text: at most max_text_bytes (protobuf already guarantees UTF-8). InvalidArgument
/// otherwise.
Status ValidateText(std::string_view text, std::string_view field, const ServiceLimits& limits);

/// ResourceExhausted "<field>: N entries exceed the limit of M" when count > limit.
Status CheckCount(size_t count, int64_t limit, std::string_view field);

/// Adds a kMalformed problem for every id (charset, length) and text (length) of `def` over the
/// limits, with paths under `prefix` ("graph_json.competencies[2].id"). The core's own checks
/// (ValidateGraphDefinition) come on top.
void CheckGraphDefinitionLimits(const GraphDefinition& def, std::string_view prefix,
                                const ServiceLimits& limits, std::vector<GraphProblem>* problems);

/// "events" + 3 -> "events[3]".
std::string IndexPath(std::string_view field, size_t index);
/// "prefix.rest" as a field path ("prefix[i]" when rest is an index); the prefix alone or rest
/// alone when the other is empty.
std::string JoinFieldPath(std::string_view prefix, std::string_view rest);

/// A double for a message: "NaN", "inf" or the shortest round-trip decimal.
std::string DescribeNumber(double value);

}  // namespace pathwise::app

#endif  // PATHWISE_APP_LIMITS_H_

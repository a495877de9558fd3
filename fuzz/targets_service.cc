// The targets over what reaches the server from outside: its config file and the wire messages
// that carry a graph, a model or events (bytes as a client would send them).
#include <string>

#include <pathwise/competency_graph.h>

#include "app/config.h"
#include "app/limits.h"
#include "service/proto_convert.h"
#include "targets.h"

namespace pathwise::fuzz {

int ServerConfigJson(const uint8_t* data, size_t size) {
  Result<app::ServerConfig> config =
      app::ParseServerConfig(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (config.ok()) (void)config->Validate();
  return 0;
}

int GraphMessage(const uint8_t* data, size_t size) {
  v1::Graph graph;
  if (!graph.ParseFromArray(data, static_cast<int>(size))) return 0;
  const app::ServiceLimits limits;
  Result<service::CheckedGraph> checked = service::CheckGraph(&graph, nullptr, limits);
  if (!checked.ok() || !checked->problems.empty()) return 0;
  // No problem reported means the core builds it.
  Check(CompetencyGraph::FromDefinition(checked->definition).ok(),
        "a graph CheckGraph passed does not build");
  return 0;
}

int ModelMessage(const uint8_t* data, size_t size) {
  v1::Model message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  const app::ServiceLimits limits;
  Result<BktModel> model = service::ModelFromProto(message, limits);
  if (!model.ok()) return 0;
  // What the server sends back (GetModel) it accepts again.
  v1::Model returned;
  service::ToProto(*model, &returned);
  Check(service::ModelFromProto(returned, limits).ok(), "a returned model is refused");
  return 0;
}

int EventsMessage(const uint8_t* data, size_t size) {
  v1::RecordEventsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const app::ServiceLimits limits;
  (void)service::EventsFromProto(request.events(), limits);
  return 0;
}

}  // namespace pathwise::fuzz

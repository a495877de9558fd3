#include "app/limits.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pathwise::app {
namespace {

Status CheckRange(int64_t value, int64_t lo, int64_t hi, const char* name) {
  if (value < lo || value > hi) {
    return Status::InvalidArgument(std::string("limits.") + name + " must be in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                   std::to_string(value));
  }
  return Status::Ok();
}

bool IsIdChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case ':':
    case '@':
    case '/':
    case '+':
    case '=':
    case '#':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

Status ServiceLimits::Validate() const {
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(max_message_bytes, int64_t{1} << 10, int64_t{1} << 30, "max_message_bytes"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_batch_events, 1, 1000000, "max_batch_events"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_id_bytes, 1, 4096, "max_id_bytes"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_text_bytes, 1, int64_t{16} << 20, "max_text_bytes"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_graph_items, 1, 10000000, "max_graph_items"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_list_items, 1, 1000000, "max_list_items"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_k, 1, 100000, "max_k"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_queued_jobs, 1, 1000, "max_queued_jobs"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_fit_restarts, 1, 10000, "max_fit_restarts"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_fit_iterations, 1, 1000000, "max_fit_iterations"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_fit_work, 1, int64_t{1000000000000000}, "max_fit_work"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_event_filter_bytes, int64_t{1} << 20, int64_t{1} << 40,
                                      "max_event_filter_bytes"));
  PATHWISE_RETURN_IF_ERROR(CheckRange(max_streams_per_tenant, 1, 10000, "max_streams_per_tenant"));
  return Status::Ok();
}

Status ValidateId(std::string_view id, std::string_view field, const ServiceLimits& limits) {
  if (id.empty()) return Status::InvalidArgument(std::string(field) + ": required");
  if (static_cast<int64_t>(id.size()) > limits.max_id_bytes) {
    return Status::InvalidArgument(std::string(field) + ": " + std::to_string(id.size()) +
                                   " bytes exceed the limit of " +
                                   std::to_string(limits.max_id_bytes));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsIdChar(id[i])) {
      char code[8];
      std::snprintf(code, sizeof(code), "0x%02X", static_cast<unsigned char>(id[i]));
      return Status::InvalidArgument(
          std::string(field) + ": character " + code + " at byte " + std::to_string(i) +
          " is not allowed in an id (use ASCII letters, digits and - _ . : @ / + = # ~)");
    }
  }
  return Status::Ok();
}

Status ValidateOptionalId(std::string_view id, std::string_view field,
                          const ServiceLimits& limits) {
  return id.empty() ? Status::Ok() : ValidateId(id, field, limits);
}

Status ValidateText(std::string_view text, std::string_view field, const ServiceLimits& limits) {
  if (static_cast<int64_t>(text.size()) > limits.max_text_bytes) {
    return Status::InvalidArgument(std::string(field) + ": " + std::to_string(text.size()) +
                                   " bytes exceed the limit of " +
                                   std::to_string(limits.max_text_bytes));
  }
  return Status::Ok();
}

Status CheckCount(size_t count, int64_t limit, std::string_view field) {
  if (static_cast<int64_t>(count) > limit) {
    return Status::ResourceExhausted(std::string(field) + ": " + std::to_string(count) +
                                     " entries exceed the limit of " + std::to_string(limit));
  }
  return Status::Ok();
}

std::string IndexPath(std::string_view field, size_t index) {
  std::string path(field);
  path += '[';
  path += std::to_string(index);
  path += ']';
  return path;
}

std::string DescribeNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  // Prefer the shortest text that reads back to the same double.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buf;
}

std::string JoinFieldPath(std::string_view prefix, std::string_view rest) {
  std::string path(prefix);
  if (!path.empty() && !rest.empty() && rest.front() != '[') path += '.';
  path += rest;
  return path;
}

namespace {

void AddProblem(std::vector<GraphProblem>* problems, GraphProblem::Kind kind, std::string path,
                std::string message) {
  problems->push_back({kind, std::move(path), std::move(message)});
}

// A Status produced by ValidateId & co reads "<path>: <message>"; split it back for a problem.
void AddMalformed(std::vector<GraphProblem>* problems, const Status& status,
                  std::string_view path) {
  std::string message = status.message();
  const std::string head = std::string(path) + ": ";
  if (message.rfind(head, 0) == 0) message.erase(0, head.size());
  AddProblem(problems, GraphProblem::Kind::kMalformed, std::string(path), std::move(message));
}

// An empty id is either allowed (an optional reference) or the core's kMissingId problem; only the
// charset and length are the service's.
void CheckId(std::vector<GraphProblem>* problems, std::string_view id, const std::string& path,
             const ServiceLimits& limits) {
  if (id.empty()) return;
  Status s = ValidateId(id, path, limits);
  if (!s.ok()) AddMalformed(problems, s, path);
}

void CheckTextField(std::vector<GraphProblem>* problems, std::string_view text,
                    const std::string& path, const ServiceLimits& limits) {
  Status s = ValidateText(text, path, limits);
  if (!s.ok()) AddMalformed(problems, s, path);
}

// The ids and texts of a definition that the service restricts beyond the core.
}  // namespace

void CheckGraphDefinitionLimits(const GraphDefinition& def, std::string_view prefix,
                                const ServiceLimits& limits, std::vector<GraphProblem>* problems) {
  for (size_t i = 0; i < def.groups.size(); ++i) {
    const Group& g = def.groups[i];
    const std::string at = JoinFieldPath(prefix, IndexPath("groups", i));
    CheckId(problems, g.id, at + ".id", limits);
    CheckTextField(problems, g.name, at + ".name", limits);
    CheckId(problems, g.parent, at + ".parent", limits);
  }
  for (size_t i = 0; i < def.competencies.size(); ++i) {
    const Competency& c = def.competencies[i];
    const std::string at = JoinFieldPath(prefix, IndexPath("competencies", i));
    CheckId(problems, c.id, at + ".id", limits);
    CheckTextField(problems, c.name, at + ".name", limits);
    CheckTextField(problems, c.description, at + ".description", limits);
    CheckId(problems, c.group, at + ".group", limits);
  }
  for (size_t i = 0; i < def.prerequisites.size(); ++i) {
    const Prerequisite& p = def.prerequisites[i];
    const std::string at = JoinFieldPath(prefix, IndexPath("prerequisites", i));
    CheckId(problems, p.from, at + ".from", limits);
    CheckId(problems, p.to, at + ".to", limits);
  }
  for (size_t i = 0; i < def.activities.size(); ++i) {
    const Activity& a = def.activities[i];
    const std::string at = JoinFieldPath(prefix, IndexPath("activities", i));
    CheckId(problems, a.id, at + ".id", limits);
    CheckTextField(problems, a.name, at + ".name", limits);
    CheckTextField(problems, a.kind, at + ".kind", limits);
    if (static_cast<int64_t>(a.competencies.size()) > limits.max_list_items) {
      AddProblem(problems, GraphProblem::Kind::kMalformed, at + ".competencies",
                 std::to_string(a.competencies.size()) + " entries exceed the limit of " +
                     std::to_string(limits.max_list_items));
    }
    for (size_t j = 0; j < a.competencies.size(); ++j) {
      CheckId(problems, a.competencies[j].competency_id,
              at + "." + IndexPath("competencies", j) + ".competency_id", limits);
    }
    if (static_cast<int64_t>(a.tags.size()) > limits.max_list_items) {
      AddProblem(problems, GraphProblem::Kind::kMalformed, at + ".tags",
                 std::to_string(a.tags.size()) + " entries exceed the limit of " +
                     std::to_string(limits.max_list_items));
    }
    for (size_t j = 0; j < a.tags.size(); ++j) {
      CheckTextField(problems, a.tags[j], at + "." + IndexPath("tags", j), limits);
    }
  }
}

}  // namespace pathwise::app

// Links pathwise::core from a parent project's build of the source tree (add_subdirectory): the
// core's headers and library are usable without installing anything.
#include <iostream>
#include <utility>

#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/version.h>

int main() {
  pathwise::GraphDefinition definition;
  definition.competencies.push_back({});
  definition.competencies.back().id = "count";
  auto graph = pathwise::CompetencyGraph::FromDefinition(std::move(definition));
  if (!graph.ok()) {
    std::cerr << graph.status() << "\n";
    return 1;
  }
  auto engine = pathwise::Engine::Create(*std::move(graph), pathwise::BktModel{});
  if (!engine.ok()) {
    std::cerr << engine.status() << "\n";
    return 1;
  }
  const double prior = (*engine)->Mastery("ann").competencies.at(0).p_learned;
  auto recorded = (*engine)->Record({"e1", "ann", "count", 1.0, 1700000000000});
  if (!recorded.ok()) {
    std::cerr << recorded.status() << "\n";
    return 1;
  }
  const double after = (*engine)->Mastery("ann").competencies.at(0).p_learned;
  std::cout << "pathwise " << PATHWISE_VERSION_STRING << " as a subproject: P(count) " << prior
            << " -> " << after << "\n";
  return after > prior ? 0 : 1;
}

// Builds against the installed package only: proves that find_package(pathwise), the public headers
// of the core and of io, and the libraries' link dependencies work for a program outside the tree.
// Usage: consumer GRAPH.json
#include <iostream>
#include <string>
#include <utility>

#include <pathwise/engine.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/version.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer GRAPH.json\n";
    return 2;
  }
  pathwise::Result<pathwise::CompetencyGraph> graph = pathwise::ReadGraphFile(argv[1]);
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
  auto recorded = (*engine)->Record({"e1", "ann", "act.count", 1.0, 1700000000000});
  if (!recorded.ok() || !recorded->applied) {
    std::cerr << "Record: " << recorded.status() << "\n";
    return 1;
  }
  const double after = (*engine)->Mastery("ann").competencies.at(0).p_learned;
  auto next = (*engine)->Recommend("ann", pathwise::RecommendRequest{});
  if (!next.ok() || next->empty()) {
    std::cerr << "Recommend: " << (next.ok() ? "no recommendation" : next.status().ToString())
              << "\n";
    return 1;
  }
  std::cout << "pathwise " << PATHWISE_VERSION_STRING << ": P(count) " << prior << " -> " << after
            << " after a correct answer; next: " << next->front().activity_id << "\n";
  return after > prior ? 0 : 1;
}

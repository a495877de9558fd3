// The README's demo: load the example curriculum, replay a few learners' events, and show what
// Pathwise knows about each learner: mastery per competency, topic roll-ups, and what they are
// ready to learn next.
//
// Usage: pathwise_demo CURRICULUM.json EVENTS.csv
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <pathwise/engine.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/observations_csv.h>

namespace {

std::string Bar(double p, int width = 20) {
  const int filled = static_cast<int>(p * width + 0.5);
  return std::string(filled, '#') + std::string(width - filled, '.');
}

int Fail(const pathwise::Status& status) {
  std::cerr << "pathwise_demo: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: pathwise_demo CURRICULUM.json EVENTS.csv\n";
    return 2;
  }
  pathwise::Result<pathwise::CompetencyGraph> graph = pathwise::ReadGraphFile(argv[1]);
  if (!graph.ok()) return Fail(graph.status());
  pathwise::Result<std::vector<pathwise::Observation>> events =
      pathwise::ReadObservationsCsv(argv[2]);
  if (!events.ok()) return Fail(events.status());

  std::cout << "Curriculum " << argv[1] << ": " << graph->num_competencies() << " competencies, "
            << graph->num_prerequisites() << " prerequisites, " << graph->num_activities()
            << " activities, " << graph->num_groups() << " groups.\n";

  // Default BKT parameters; a fitted model (pathwise fit) would replace them.
  auto engine = pathwise::Engine::Create(*std::move(graph), pathwise::BktModel{});
  if (!engine.ok()) return Fail(engine.status());

  std::vector<std::string> learners;
  std::map<std::string, int> events_per_learner;
  for (const pathwise::Observation& event : *events) {
    if (events_per_learner[event.learner_id]++ == 0) learners.push_back(event.learner_id);
  }
  // Recording twice shows idempotency: the second pass changes nothing because every event id was
  // seen.
  for (int pass = 0; pass < 2; ++pass) {
    pathwise::Result<size_t> applied = (*engine)->RecordBatch(*events);
    if (!applied.ok()) return Fail(applied.status());
    std::cout << (pass == 0 ? "Replayed " : "Re-delivered the same ") << events->size()
              << " events: " << *applied << " applied.\n";
  }

  const pathwise::CompetencyGraph& g = (*engine)->graph();
  for (const std::string& learner : learners) {
    std::cout << "\n=== " << learner << " (" << events_per_learner[learner] << " events)\n";
    const pathwise::LearnerMastery mastery = (*engine)->Mastery(learner);
    size_t name_width = 0;
    for (const pathwise::MasteryEstimate& m : mastery.competencies) {
      name_width = std::max(name_width, g.FindCompetency(m.competency_id)->name.size());
    }
    for (const pathwise::MasteryEstimate& m : mastery.competencies) {
      std::string status;
      if (m.mastered) {
        status = "mastered";
      } else if (m.opportunities > 0) {
        status = std::to_string(m.opportunities) + (m.opportunities == 1 ? " try" : " tries");
      }
      std::printf("  %-*s %s %5.1f%%  %s\n", static_cast<int>(name_width),
                  g.FindCompetency(m.competency_id)->name.c_str(), Bar(m.p_learned).c_str(),
                  100.0 * m.p_learned, status.c_str());
    }
    std::cout << "  Topics:";
    for (const pathwise::GroupMastery& group : (*engine)->GroupRollup(learner)) {
      std::printf(" %s %.0f%% (%zu/%zu mastered);", g.FindGroup(group.group_id)->name.c_str(),
                  100.0 * group.p_learned, group.members_mastered, group.members);
    }
    std::cout << "\n  Ready to learn next:";
    const std::vector<std::string> frontier = (*engine)->Frontier(learner);
    if (frontier.empty()) std::cout << " nothing left: everything is mastered";
    for (const std::string& id : frontier) std::cout << "\n    - " << g.FindCompetency(id)->name;
    std::cout << "\n";
  }
  return 0;
}

// Graph JSON parsing (ParseGraphJson) of chains of n competencies: n competencies, n - 1
// prerequisites and n activities. Time per competency should not grow with n (issue 15: the
// callback parser it replaced took 0.38 s at 25k and 15 s at 200k, a quadratic).
//
//   graph_json_bench --benchmark_counters_tabular=true
#include <string>

#include <benchmark/benchmark.h>

#include <pathwise/io/graph_json.h>

namespace {

std::string ChainJson(int n) {
  std::string text = R"({"format": "pathwise.graph", "version": 1, "competencies": [)";
  for (int i = 0; i < n; ++i) {
    text += (i ? ",\n" : "\n") + std::string(R"({"id": "c)") + std::to_string(i) +
            R"(", "name": "Competency )" + std::to_string(i) + R"("})";
  }
  text += "],\n\"prerequisites\": [";
  for (int i = 0; i + 1 < n; ++i) {
    text += (i ? ",\n" : "\n") + std::string(R"({"from": "c)") + std::to_string(i) +
            R"(", "to": "c)" + std::to_string(i + 1) + R"("})";
  }
  text += "],\n\"activities\": [";
  for (int i = 0; i < n; ++i) {
    text += (i ? ",\n" : "\n") + std::string(R"({"id": "a)") + std::to_string(i) +
            R"(", "competencies": [{"competency": "c)" + std::to_string(i) + R"("}]})";
  }
  return text + "]}\n";
}

void BM_GraphJson_ParseChain(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string text = ChainJson(n);
  for (auto _ : state) {
    pathwise::Result<pathwise::GraphDefinition> def = pathwise::ParseGraphJson(text, "chain");
    if (!def.ok() || static_cast<int>(def->competencies.size()) != n) {
      state.SkipWithError("the chain did not parse");
      return;
    }
    benchmark::DoNotOptimize(def);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_competency"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
  state.counters["bytes"] = static_cast<double>(text.size());
  state.SetComplexityN(n);
}
BENCHMARK(BM_GraphJson_ParseChain)
    ->Arg(25000)
    ->Arg(50000)
    ->Arg(100000)
    ->Arg(200000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

}  // namespace

BENCHMARK_MAIN();

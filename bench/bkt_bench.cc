// Cost of one online BKT update (bkt.h), the unit of work of every tracker path.
#include <benchmark/benchmark.h>

#include <pathwise/bkt.h>

namespace {

const pathwise::BktParams kParams{/*prior=*/0.3, /*learn=*/0.15, /*forget=*/0.01, /*guess=*/0.2,
                                  /*slip=*/0.1};

// Correct and incorrect answers alternate so P(L) keeps moving instead of settling at a fixed
// point; each update depends on the previous one, so this is latency, not throughput.
void BM_Bkt_UpdateSingle(benchmark::State& state) {
  double p = kParams.prior;
  double credit = 1.0;
  for (auto _ : state) {
    p = pathwise::UpdateMastery(kParams, p, credit);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdateSingle);

// Partial credit takes the pow() path of Posterior.
void BM_Bkt_UpdatePartialCredit(benchmark::State& state) {
  double p = kParams.prior;
  double credit = 0.6;
  for (auto _ : state) {
    p = pathwise::UpdateMastery(kParams, p, credit);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdatePartialCredit);

// A weighted (Q-matrix weight below 1) exact answer also pays two pow() calls.
void BM_Bkt_UpdateWeighted(benchmark::State& state) {
  double p = kParams.prior;
  double credit = 1.0;
  for (auto _ : state) {
    p = pathwise::UpdateMastery(kParams, p, credit, /*weight=*/0.5);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdateWeighted);

// The same three on the carried state (bkt.h): the odds with their own exponent, what the tracker
// and prediction update since issue 12. Before it, the carried update was UpdateMastery above.
void BM_Bkt_UpdateOddsSingle(benchmark::State& state) {
  pathwise::Odds x = pathwise::Odds::OfProbability(kParams.prior);
  double credit = 1.0;
  for (auto _ : state) {
    x = pathwise::UpdateOdds(kParams, x, credit);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdateOddsSingle);

void BM_Bkt_UpdateOddsPartialCredit(benchmark::State& state) {
  pathwise::Odds x = pathwise::Odds::OfProbability(kParams.prior);
  double credit = 0.6;
  for (auto _ : state) {
    x = pathwise::UpdateOdds(kParams, x, credit);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdateOddsPartialCredit);

void BM_Bkt_UpdateOddsWeighted(benchmark::State& state) {
  pathwise::Odds x = pathwise::Odds::OfProbability(kParams.prior);
  double credit = 1.0;
  for (auto _ : state) {
    x = pathwise::UpdateOdds(kParams, x, credit, /*weight=*/0.5);
    credit = 1.0 - credit;
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bkt_UpdateOddsWeighted);

}  // namespace

BENCHMARK_MAIN();

// Response-log readers: parse throughput on the real fixtures, IdTable lookups, and (with --rss)
// the time and peak memory of one read, for the "<= 24 bytes per row" budget.
//
//   readers_bench                                     Google Benchmark runs (needs ../shared/data)
//   readers_bench --make-dkvmn out.csv 10000000       writes a synthetic DKVMN file (fixed seed)
//   readers_bench --rss dkvmn a.csv [b.csv ...]       reads once; prints seconds, rows, peak RSS
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <pathwise/io/response_readers.h>
#include <pathwise/response_log.h>

namespace {

#ifndef PATHWISE_SHARED_DATA_DIR
#define PATHWISE_SHARED_DATA_DIR "../shared/data"
#endif

std::string DataPath(const std::string& relative) {
  return std::string(PATHWISE_SHARED_DATA_DIR) + "/" + relative;
}

void ReadOrSkip(benchmark::State& state, const std::vector<std::string>& paths,
                pathwise::LogFormat format) {
  size_t rows = 0;
  for (auto _ : state) {
    pathwise::Result<pathwise::ResponseLog> log = pathwise::ReadResponseLogs(paths, format);
    if (!log.ok()) {
      state.SkipWithError(log.status().ToString().c_str());
      return;
    }
    rows = log->num_rows();
    benchmark::DoNotOptimize(log->correct.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
  state.counters["rows"] = static_cast<double>(rows);
}

void BM_Readers_DkvmnAssist2015TrainTest(benchmark::State& state) {
  ReadOrSkip(state,
             {DataPath("assistments_dkvmn/assist2015/assist2015_train.csv"),
              DataPath("assistments_dkvmn/assist2015/assist2015_test.csv")},
             pathwise::LogFormat::kDkvmn);
}
BENCHMARK(BM_Readers_DkvmnAssist2015TrainTest)->Unit(benchmark::kMillisecond);

void BM_Readers_DkvmnJunyiFold1(benchmark::State& state) {
  ReadOrSkip(state, {DataPath("junyi_sequences_deepirt/junyi_test1.csv")},
             pathwise::LogFormat::kDkvmn);
}
BENCHMARK(BM_Readers_DkvmnJunyiFold1)->Unit(benchmark::kMillisecond);

void BM_Readers_PyBktAssistments(benchmark::State& state) {
  ReadOrSkip(state, {DataPath("assistments2009_pybkt_subset/as.csv")}, pathwise::LogFormat::kPyBkt);
}
BENCHMARK(BM_Readers_PyBktAssistments)->Unit(benchmark::kMillisecond);

void BM_Readers_DataShopCognitiveTutor(benchmark::State& state) {
  ReadOrSkip(state, {DataPath("cognitive_tutor_pybkt/ct_cahlr_2020.tsv")},
             pathwise::LogFormat::kDataShop);
}
BENCHMARK(BM_Readers_DataShopCognitiveTutor)->Unit(benchmark::kMillisecond);

std::vector<std::string> MakeNames(size_t count) {
  std::mt19937_64 rng(12345);
  std::vector<std::string> names;
  names.reserve(count);
  for (size_t i = 0; i < count; ++i)
    names.push_back("learner-" + std::to_string(rng() % 100000000));
  return names;
}

void BM_IdTable_InternExisting(benchmark::State& state) {
  const std::vector<std::string> names = MakeNames(static_cast<size_t>(state.range(0)));
  pathwise::IdTable table;
  for (const std::string& name : names) table.Intern(name);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Intern(names[i]));
    if (++i == names.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IdTable_InternExisting)->Arg(100)->Arg(20000)->Arg(1000000);

void BM_IdTable_FindMissing(benchmark::State& state) {
  const std::vector<std::string> names = MakeNames(static_cast<size_t>(state.range(0)));
  pathwise::IdTable table;
  for (const std::string& name : names) table.Intern(name);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Find(std::string_view(names[i]).substr(1)));
    if (++i == names.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IdTable_FindMissing)->Arg(100)->Arg(20000)->Arg(1000000);

// Sequences of up to 200 responses over 100 skills, about 73% correct: the shape of assist2015.
int MakeDkvmn(const char* path, uint64_t responses) {
  std::ofstream out(path);
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    return 1;
  }
  std::mt19937_64 rng(20240601);
  std::string skills, answers;
  while (responses > 0) {
    const uint64_t length = std::min<uint64_t>(responses, 1 + rng() % 200);
    skills.clear();
    answers.clear();
    for (uint64_t i = 0; i < length; ++i) {
      if (i > 0) {
        skills += ',';
        answers += ',';
      }
      skills += std::to_string(1 + rng() % 100);
      answers += (rng() >> 11) * 0x1.0p-53 < 0.73 ? '1' : '0';
    }
    out << length << '\n' << skills << '\n' << answers << '\n';
    responses -= length;
  }
  return out.good() ? 0 : 1;
}

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

int MeasureOneRead(int argc, char** argv) {
  pathwise::Result<pathwise::LogFormat> format = pathwise::ParseLogFormat(argv[2]);
  if (!format.ok()) {
    std::cerr << format.status() << "\n";
    return 1;
  }
  std::vector<std::string> paths(argv + 3, argv + argc);
  const long before_kib = PeakRssKiB();
  const auto start = std::chrono::steady_clock::now();
  pathwise::Result<pathwise::ResponseLog> log = pathwise::ReadResponseLogs(paths, *format);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!log.ok()) {
    std::cerr << log.status() << "\n";
    return 1;
  }
  const long peak_kib = PeakRssKiB();
  const double rows = static_cast<double>(log->num_rows());
  std::printf(
      "rows %zu learners %zu competencies %zu\nseconds %.4f (%.1f M rows/s)\n"
      "peak RSS %.1f MiB (%.1f MiB before the read): %.2f bytes/row for the read\n",
      log->num_rows(), log->learners.size(), log->competencies.size(), seconds,
      rows / seconds / 1e6, peak_kib / 1024.0, before_kib / 1024.0,
      rows > 0 ? (peak_kib - before_kib) * 1024.0 / rows : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--make-dkvmn") == 0) {
    return MakeDkvmn(argv[2], std::stoull(argv[3]));
  }
  if (argc >= 4 && std::strcmp(argv[1], "--rss") == 0) return MeasureOneRead(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

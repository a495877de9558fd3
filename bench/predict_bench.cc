// One-step-ahead prediction throughput (issue 12): PredictOneStepAhead over assist2015 (DKVMN
// split, train + test, 683,801 rows) with a standard BKT model fitted to the same rows, on one
// thread. bench/README.md quotes the output.
//
//     predict_bench [--data-dir DIR] [--repeats N]
//
// Reading and fitting are not timed. Each repeat predicts every row once; the program prints the
// median, minimum and maximum rate per thread CPU second and per wall second, and a checksum of the
// predictions so that two builds can be checked to predict the same values.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <time.h>

#include <pathwise/fit.h>
#include <pathwise/io/response_readers.h>

namespace {

double WallNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double ThreadCpuNow() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

[[noreturn]] void Die(const pathwise::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = PATHWISE_SHARED_DATA_DIR;
  int repeats = 15;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: predict_bench [--data-dir DIR] [--repeats N]\n");
      return 2;
    }
  }
  if (repeats < 1) repeats = 1;

  const std::string base = data_dir + "/assistments_dkvmn/assist2015/assist2015";
  pathwise::Result<pathwise::ResponseLog> log = pathwise::ReadResponseLogs(
      {base + "_train.csv", base + "_test.csv"}, pathwise::LogFormat::kDkvmn);
  if (!log.ok()) Die(log.status());

  // The start of the fitting benchmark (fit_assist2015), one thread: a deterministic fitted model.
  pathwise::FitOptions options;
  options.start = pathwise::BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
  options.threads = 1;
  pathwise::Result<pathwise::FitResult> fit = pathwise::FitBkt(*log, options);
  if (!fit.ok()) Die(fit.status());

  const double rows = static_cast<double>(log->num_rows());
  std::vector<double> cpu_rates, wall_rates;
  double checksum = 0.0;
  for (int r = 0; r < repeats; ++r) {
    const double wall = WallNow(), cpu = ThreadCpuNow();
    pathwise::Result<std::vector<double>> p = pathwise::PredictOneStepAhead(fit->model, *log);
    const double cpu_s = ThreadCpuNow() - cpu, wall_s = WallNow() - wall;
    if (!p.ok()) Die(p.status());
    cpu_rates.push_back(rows / cpu_s);
    wall_rates.push_back(rows / wall_s);
    if (r == 0) {
      for (double x : *p) checksum += x;
    }
  }
  std::printf(
      "assist2015: %zu rows, %zu competencies, fit -loglik %.1f | PredictOneStepAhead x %d: "
      "%.2f M rows/s per CPU second (median; min %.2f, max %.2f), %.2f M rows/s wall (median) "
      "| %.1f ns/row | checksum %.9f\n",
      log->num_rows(), fit->competencies.size(), -fit->log_likelihood, repeats,
      Median(cpu_rates) / 1e6, *std::min_element(cpu_rates.begin(), cpu_rates.end()) / 1e6,
      *std::max_element(cpu_rates.begin(), cpu_rates.end()) / 1e6, Median(wall_rates) / 1e6,
      1e9 / Median(cpu_rates), checksum);
  return 0;
}

// End-to-end load on pathwised over loopback: durable event ingestion in batches of 100, then
// Recommend, with throughput and p50/p99 latency; then the store's size, the server's peak memory,
// and how long a restart takes: from the stored states (the fast path: the server serves once the
// curriculum is read and restores the learners in the background, loading first any learner a call
// needs), and by replaying the stored events (the recovery path, forced by clearing the store's
// state origin while the server is stopped). "Ready" is the first read of a learner that answers
// exactly its stored states, after the health check said SERVING.
//
// The program starts the real server binary as a child process (so its memory is measured alone)
// and drives it with asynchronous gRPC clients, many calls in flight per thread.
//
//     build/bin/service_load --server build/bin/pathwised --data-dir "$(mktemp -d)"
//         --learners 100000 --events-per-learner 100 --recommend-calls 300000
//
// Replicas: with --store postgresql://... the servers keep everything in that (empty) database,
// --replicas N starts N of them on it, client thread t talking to replica t mod N (so calls for one
// learner land on several replicas, as behind a balancer), and --postgres-pid PID (the postmaster)
// adds PostgreSQL's own CPU time to each phase's report. No restart is measured then.
// bench/replicas_bench.sh runs it for 1, 2 and 4 replicas on a throwaway PostgreSQL.
//
// Workload (deterministic, seed 42): a graph of 100 competencies (each with up to two prerequisites
// among the earlier ones) and 200 activities: "act.i" practises competency i alone, "mix.i" two
// competencies. Learner l's event j practises act.((j + l) mod 100), so after 100 events every
// learner has a state for all 100 competencies. A batch is 10 learners x 10 consecutive events.
// Recommend asks, for a random learner, k = 5 with the last competency as goal.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathwise/v1/curriculum_service.grpc.pb.h"
#include "pathwise/v1/learner_service.grpc.pb.h"
#include "pathwise/v1/recommendation_service.grpc.pb.h"
#include "server_process.h"
#include "store/sqlite_store.h"

namespace v1 = pathwise::v1;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kTenant[] = "load";
constexpr char kKey[] = "load-key-0123456789abcdef";
constexpr int kCompetencies = 100;

struct Options {
  std::string server = "build/bin/pathwised";
  std::string data_dir;  // empty: a fresh directory under $TMPDIR (or /tmp), made at run time
  int learners = 100000;
  int events_per_learner = 100;
  int recommend_calls = 300000;
  int client_threads = 2;
  int in_flight = 32;  // per client thread
  bool keep_data = false;
  bool restart_only = false;  // skip ingestion: restart the server on the existing data dir
  int restarts = 1;           // of each kind
  std::string store;          // empty: SQLite in data_dir; else a postgresql:// URI
  int replicas = 1;
  pid_t postgres_pid = 0;  // the postmaster, whose CPU (its backends' included) is reported
};

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--keep-data") {
      o->keep_data = true;
      continue;
    }
    if (flag == "--restart-only") {
      o->restart_only = true;
      o->keep_data = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (flag == "--server")
      o->server = value;
    else if (flag == "--data-dir")
      o->data_dir = value;
    else if (flag == "--learners")
      o->learners = std::atoi(value.c_str());
    else if (flag == "--events-per-learner")
      o->events_per_learner = std::atoi(value.c_str());
    else if (flag == "--recommend-calls")
      o->recommend_calls = std::atoi(value.c_str());
    else if (flag == "--client-threads")
      o->client_threads = std::atoi(value.c_str());
    else if (flag == "--in-flight")
      o->in_flight = std::atoi(value.c_str());
    else if (flag == "--store")
      o->store = value;
    else if (flag == "--replicas")
      o->replicas = std::atoi(value.c_str());
    else if (flag == "--postgres-pid")
      o->postgres_pid = static_cast<pid_t>(std::atoi(value.c_str()));
    else if (flag == "--restarts")
      o->restarts = std::atoi(value.c_str());
    else
      return false;
  }
  return o->learners >= 10 && o->learners % 10 == 0 && o->events_per_learner >= 10 &&
         o->events_per_learner % 10 == 0 && o->client_threads >= 1 && o->in_flight >= 1 &&
         o->restarts >= 1 && (!o->restart_only || !o->data_dir.empty()) && o->replicas >= 1 &&
         (o->replicas == 1 || !o->store.empty()) && (!o->restart_only || o->store.empty());
}

// ---- The server as a child process --------------------------------------------------------------

// pathwised over o.data_dir, its log in <data_dir>.log (at `log_level`); *startup_seconds: from
// the spawn until it answers SERVING (on a restart from states, once the curriculum is read; by
// replay, once every learner is rebuilt); *spawned: when it was spawned.
pathwise::Status StartServer(const Options& o, pathwise::testing::ServerProcess* server,
                             double* startup_seconds, Clock::time_point* spawned = nullptr,
                             const char* log_level = "warning") {
  pathwise::testing::ServerProcessOptions options;
  options.binary = o.server;
  options.args = {"--api-key", std::string("load=") + kKey, "--log-level", log_level};
  if (o.store.empty()) {
    options.args.insert(options.args.end(), {"--data-dir", o.data_dir});
  } else {
    options.args.insert(options.args.end(), {"--store", o.store});
  }
  options.log_path = o.data_dir + ".log";
  options.startup_timeout_seconds = 0;  // a restart of a large store may take minutes
  const auto started = Clock::now();
  if (spawned != nullptr) *spawned = started;
  pathwise::Status status = server->Start(options);
  *startup_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return status;
}

// Peak resident memory of a process, from /proc (VmHWM), in MiB.
double PeakMemoryMiB(pid_t pid) {
  return static_cast<double>(pathwise::testing::ProcStatusNumber(pid, "VmHWM")) / 1024.0;
}

// CPU time (user + system) a process has used so far, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time of a process, of its children that it has waited for, and of its live children: for
// the postmaster, PostgreSQL's whole CPU (every backend, ended or running).
double CpuSecondsWithChildren(pid_t pid) {
  auto ticks_of = [](const std::string& path, bool with_waited, pid_t* parent) {
    std::ifstream stat(path);
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return 0.0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 17 && fields >> field; ++i) {
      if (i == 4 && parent != nullptr) *parent = static_cast<pid_t>(std::atoi(field.c_str()));
      if (i == 14 || i == 15 || (with_waited && (i == 16 || i == 17))) {
        ticks += std::atof(field.c_str());
      }
    }
    return ticks;
  };
  double ticks = ticks_of("/proc/" + std::to_string(pid) + "/stat", true, nullptr);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t parent = 0;
    const double child = ticks_of(entry.path().string() + "/stat", false, &parent);
    if (parent == pid) ticks += child;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

double DirectoryMiB(const std::string& dir) {
  double bytes = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) bytes += static_cast<double>(entry.file_size());
  }
  return bytes / (1024.0 * 1024.0);
}

// ---- Workload -----------------------------------------------------------------------------------

v1::Graph BenchGraph() {
  std::mt19937_64 rng(42);
  v1::Graph graph;
  for (int c = 0; c < kCompetencies; ++c) {
    v1::Competency* competency = graph.add_competencies();
    competency->set_id("c" + std::to_string(c));
    for (int p = 0; p < 2 && c > 0; ++p) {
      const int from = static_cast<int>(rng() % static_cast<uint64_t>(c));
      bool seen = false;
      for (const auto& e : graph.prerequisites()) {
        seen = seen || (e.to() == competency->id() && e.from() == "c" + std::to_string(from));
      }
      if (seen) continue;
      v1::Prerequisite* edge = graph.add_prerequisites();
      edge->set_from("c" + std::to_string(from));
      edge->set_to(competency->id());
      edge->set_strength(p == 0 ? 1.0 : 0.5);
    }
  }
  for (int a = 0; a < kCompetencies; ++a) {
    v1::Activity* activity = graph.add_activities();
    activity->set_id("act." + std::to_string(a));
    activity->add_competencies()->set_competency_id("c" + std::to_string(a));
    activity->set_expected_minutes(3 + a % 7);
    activity->set_difficulty((a % 10) / 10.0);
  }
  for (int a = 0; a < kCompetencies; ++a) {
    v1::Activity* activity = graph.add_activities();
    activity->set_id("mix." + std::to_string(a));
    activity->add_competencies()->set_competency_id("c" + std::to_string(a));
    v1::PracticedCompetency* second = activity->add_competencies();
    second->set_competency_id("c" + std::to_string((a + 1) % kCompetencies));
    second->set_weight(0.5);
    activity->set_expected_minutes(10);
  }
  return graph;
}

// ---- An asynchronous driver: `in_flight` unary calls per thread, latencies recorded -------------

struct RunStats {
  double seconds = 0;
  uint64_t calls = 0;
  uint64_t failures = 0;
  std::vector<double> latencies_ms;
};

template <typename Stub, typename Request, typename Response>
RunStats Drive(const std::vector<std::string>& addresses, const Options& o, size_t total_calls,
               const std::function<void(size_t index, Request*)>& make_request,
               std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*prepare)(
                   grpc::ClientContext*, const Request&, grpc::CompletionQueue*),
               std::unique_ptr<Stub> (*new_stub)(const std::shared_ptr<grpc::ChannelInterface>&,
                                                 const grpc::StubOptions&)) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
    grpc::Status status;
    Clock::time_point start;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
  };
  std::atomic<size_t> next{0};
  std::vector<RunStats> per_thread(static_cast<size_t>(o.client_threads));
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.client_threads; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per thread
      args.SetMaxReceiveMessageSize(-1);
      auto channel = grpc::CreateCustomChannel(addresses[static_cast<size_t>(t) % addresses.size()],
                                               grpc::InsecureChannelCredentials(), args);
      std::unique_ptr<Stub> stub = new_stub(channel, grpc::StubOptions());
      grpc::CompletionQueue cq;
      RunStats& stats = per_thread[static_cast<size_t>(t)];
      int outstanding = 0;
      auto launch = [&]() -> bool {
        const size_t index = next.fetch_add(1);
        if (index >= total_calls) return false;
        auto* call = new Call;
        call->context.AddMetadata("authorization", std::string("Bearer ") + kKey);
        make_request(index, &call->request);
        call->start = Clock::now();
        call->reader = ((*stub).*prepare)(&call->context, call->request, &cq);
        call->reader->StartCall();
        call->reader->Finish(&call->response, &call->status, call);
        ++outstanding;
        return true;
      };
      for (int i = 0; i < o.in_flight && launch(); ++i) {
      }
      void* tag;
      bool ok;
      while (outstanding > 0 && cq.Next(&tag, &ok)) {
        auto* call = static_cast<Call*>(tag);
        --outstanding;
        stats.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - call->start).count());
        ++stats.calls;
        if (!call->status.ok()) {
          if (stats.failures++ == 0) {
            std::fprintf(stderr, "call failed: %d %s\n", call->status.error_code(),
                         call->status.error_message().c_str());
          }
        }
        delete call;
        launch();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  RunStats total;
  total.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (RunStats& s : per_thread) {
    total.calls += s.calls;
    total.failures += s.failures;
    total.latencies_ms.insert(total.latencies_ms.end(), s.latencies_ms.begin(),
                              s.latencies_ms.end());
  }
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
}

// The learner a start from states restores last (the warm-up goes in learner-id order: the
// highest id) and its stored states, read while the server is down.
bool ReadProbe(const Options& o, std::string* learner,
               std::vector<pathwise::MasteryEstimate>* states) {
  pathwise::store::SqliteStoreOptions options;
  options.data_dir = o.data_dir;
  pathwise::Result<std::unique_ptr<pathwise::store::SqliteStore>> store =
      pathwise::store::SqliteStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "opening the store: %s\n", store.status().message().c_str());
    return false;
  }
  pathwise::Result<std::vector<std::string>> learners = (*store)->ListLearners(kTenant, "", 0);
  if (!learners.ok() || learners->empty()) {
    std::fprintf(stderr, "no stored learner to read back\n");
    return false;
  }
  *learner = learners->back();
  pathwise::Result<pathwise::store::StoredLearner> stored = (*store)->GetLearner(kTenant, *learner);
  if (!stored.ok()) return false;
  *states = stored->competencies;
  return true;
}

// Seconds from `spawned` until GetMastery of `learner` answers exactly the stored states (what a
// complete restore serves), or a negative number after 600 s.
double FirstCorrectRead(const std::string& address, Clock::time_point spawned,
                        const std::string& learner,
                        const std::vector<pathwise::MasteryEstimate>& states) {
  auto stub =
      v1::LearnerService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::GetMasteryRequest request;
  request.set_learner_id(learner);
  for (const pathwise::MasteryEstimate& e : states) request.add_competency_ids(e.competency_id);
  while (Clock::now() - spawned < std::chrono::seconds(600)) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kKey);
    v1::GetMasteryResponse response;
    grpc::Status status = stub->GetMastery(&context, request, &response);
    bool same = status.ok() && response.competencies_size() == static_cast<int>(states.size());
    for (size_t i = 0; same && i < states.size(); ++i) {
      const v1::MasteryEstimate& got = response.competencies(static_cast<int>(i));
      same = got.p_learned() == states[i].p_learned &&
             got.opportunities() == states[i].opportunities &&
             got.last_practiced_ms() == states[i].last_practiced_ms;
    }
    if (same) return std::chrono::duration<double>(Clock::now() - spawned).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1.0;
}

// Seconds from `spawned` until the server's log (from byte `offset` on: the server appends)
// says the warm-up restored every learner, or a negative number after 600 s.
double WarmUpComplete(const std::string& log_path, std::streamoff offset,
                      Clock::time_point spawned) {
  while (Clock::now() - spawned < std::chrono::seconds(600)) {
    std::ifstream log(log_path);
    log.seekg(offset);
    for (std::string line; std::getline(log, line);) {
      if (line.find("msg=\"warm-up complete\"") != std::string::npos)
        return std::chrono::duration<double>(Clock::now() - spawned).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1.0;
}

// Restarts the server on o.data_dir: `restarts` times from the stored states, and as often by
// replaying the events (the state origin cleared before each). Prints, for each start, the time
// until SERVING, until the first read of a learner answers exactly its stored states (from
// states: the learner the warm-up reaches last), and until every learner is in memory (from
// states: the warm-up's end; by replay: SERVING), with the peak RSS then. False when a start
// fails.
bool MeasureRestarts(const Options& o) {
  struct Times {
    std::vector<double> serving, ready, warm;
  };
  auto start = [&o](const char* how, bool from_states, Times* times) {
    std::string probe;
    std::vector<pathwise::MasteryEstimate> probe_states;
    if (!ReadProbe(o, &probe, &probe_states)) return false;
    std::error_code ec;
    const auto log_size = std::filesystem::file_size(o.data_dir + ".log", ec);
    const std::streamoff log_offset = ec ? 0 : static_cast<std::streamoff>(log_size);
    pathwise::testing::ServerProcess server;
    double startup_seconds = 0;
    Clock::time_point spawned;
    if (pathwise::Status started = StartServer(o, &server, &startup_seconds, &spawned, "info");
        !started.ok()) {
      std::fprintf(stderr, "restart (%s) failed: %s\n", how, started.message().c_str());
      return false;
    }
    const double ready = FirstCorrectRead(server.address(), spawned, probe, probe_states);
    const double warm =
        from_states ? WarmUpComplete(o.data_dir + ".log", log_offset, spawned) : startup_seconds;
    if (ready < 0 || warm < 0) {
      std::fprintf(stderr, "restart (%s): %s\n", how,
                   ready < 0 ? "the probe learner was never served its stored states"
                             : "the warm-up never completed");
      server.Signal(SIGTERM);
      return false;
    }
    times->serving.push_back(startup_seconds);
    times->ready.push_back(ready);
    times->warm.push_back(warm);
    std::printf(
        "restart from %s: SERVING after %.3f s, first correct read (%s) after %.3f s, every "
        "learner in memory after %.2f s; peak RSS %.1f MiB\n",
        how, startup_seconds, probe.c_str(), ready, warm, PeakMemoryMiB(server.pid()));
    std::fflush(stdout);
    server.Signal(SIGTERM);
    return true;
  };
  auto clear_origin = [&o]() {
    pathwise::store::SqliteStoreOptions options;
    options.data_dir = o.data_dir;
    pathwise::Result<std::unique_ptr<pathwise::store::SqliteStore>> store =
        pathwise::store::SqliteStore::Open(options);
    pathwise::Status cleared = store.ok() ? (*store)->PutStateOrigin(kTenant, "") : store.status();
    if (!cleared.ok())
      std::fprintf(stderr, "clearing the state origin: %s\n", cleared.message().c_str());
    return cleared.ok();
  };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  Times from_states, from_events;
  for (int i = 0; i < o.restarts; ++i) {
    if (!start("states", true, &from_states)) return false;
    if (!clear_origin() || !start("events", false, &from_events)) return false;
  }
  std::printf(
      "restart medians: from states ready %.3f s (SERVING %.3f s, warm %.2f s), from events "
      "ready %.2f s (%.1fx)\n",
      median(from_states.ready), median(from_states.serving), median(from_states.warm),
      median(from_events.ready), median(from_events.ready) / median(from_states.ready));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: service_load [--server PATH] [--data-dir DIR] [--learners N (x10)] "
                 "[--events-per-learner N (x10)] [--recommend-calls N] [--client-threads N] "
                 "[--in-flight N] [--keep-data] [--restart-only --data-dir DIR] [--restarts N] "
                 "[--store postgresql://... [--replicas N] [--postgres-pid PID]]\n");
    return 2;
  }
  if (o.data_dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/pathwise-service-load-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "could not make a directory from %s\n", pattern.c_str());
      return 1;
    }
    o.data_dir = pattern;
  }
  std::error_code ec;
  if (o.restart_only) return MeasureRestarts(o) ? 0 : 1;
  std::filesystem::remove_all(o.data_dir, ec);
  std::filesystem::remove(o.data_dir + ".log", ec);
  std::vector<std::unique_ptr<pathwise::testing::ServerProcess>> servers;
  std::vector<std::string> addresses;
  for (int r = 0; r < o.replicas; ++r) {
    servers.push_back(std::make_unique<pathwise::testing::ServerProcess>());
    double startup_seconds = 0;
    Options replica = o;
    replica.data_dir = o.data_dir + (r == 0 ? "" : "-" + std::to_string(r));  // its log's name
    if (pathwise::Status started = StartServer(replica, servers.back().get(), &startup_seconds);
        !started.ok()) {
      std::fprintf(stderr, "could not start %s: %s\n", o.server.c_str(), started.message().c_str());
      return 1;
    }
    addresses.push_back(servers.back()->address());
    std::printf("server %s (pid %d) on %s, data %s; %d client threads x %d calls in flight\n",
                o.server.c_str(), servers.back()->pid(), servers.back()->address().c_str(),
                o.store.empty() ? o.data_dir.c_str() : "PostgreSQL", o.client_threads, o.in_flight);
  }
  pathwise::testing::ServerProcess& child = *servers[0];
  auto servers_cpu = [&servers]() {
    double seconds = 0;
    for (const auto& server : servers) seconds += CpuSeconds(server->pid());
    return seconds;
  };
  auto postgres_cpu = [&o]() {
    return o.postgres_pid > 0 ? CpuSecondsWithChildren(o.postgres_pid) : 0.0;
  };

  {
    auto stub = v1::CurriculumService::NewStub(
        grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kKey);
    v1::PutGraphRequest request;
    *request.mutable_graph() = BenchGraph();
    v1::PutGraphResponse response;
    grpc::Status status = stub->PutGraph(&context, request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "PutGraph: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  // The other replicas learn of the graph from PostgreSQL's notification (milliseconds).
  for (size_t r = 1; r < addresses.size(); ++r) {
    auto stub = v1::RecommendationService::NewStub(
        grpc::CreateChannel(addresses[r], grpc::InsecureChannelCredentials()));
    for (int tries = 0;; ++tries) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", std::string("Bearer ") + kKey);
      v1::RecommendRequest request;
      request.set_learner_id("nobody");
      request.set_k(1);
      v1::RecommendResponse response;
      grpc::Status status = stub->Recommend(&context, request, &response);
      if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) break;
      if (tries == 500) {
        std::fprintf(stderr, "replica %zu never saw the graph\n", r);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Ingest: batch b covers learners [10 g, 10 g + 10) and events [10 r, 10 r + 10) of each, where
  // rounds r run outermost so a learner's events arrive roughly in order.
  const size_t groups = static_cast<size_t>(o.learners / 10);
  const size_t rounds = static_cast<size_t>(o.events_per_learner / 10);
  const size_t batches = groups * rounds;
  const double cpu_before_ingest = servers_cpu();
  const double postgres_before_ingest = postgres_cpu();
  const double client_before_ingest = SelfCpuSeconds();
  RunStats ingest =
      Drive<v1::LearnerService::Stub, v1::RecordEventsRequest, v1::RecordEventsResponse>(
          addresses, o, batches,
          [groups](size_t b, v1::RecordEventsRequest* request) {
            const size_t round = b / groups;
            const size_t group = b % groups;
            for (size_t l = group * 10; l < group * 10 + 10; ++l) {
              const std::string learner = "learner" + std::to_string(l);
              for (size_t j = round * 10; j < round * 10 + 10; ++j) {
                v1::Observation* e = request->add_events();
                e->set_event_id("e" + std::to_string(j));
                e->set_learner_id(learner);
                e->set_activity_id("act." + std::to_string((j + l) % kCompetencies));
                // A learner gets better with practice: wrong early, mostly right later.
                e->set_outcome((j * 7 + l) % 10 < 3 + j / 15 ? 1.0 : 0.0);
                e->set_timestamp_ms(1756684800000 + static_cast<int64_t>(j) * 60000);
              }
            }
          },
          &v1::LearnerService::Stub::PrepareAsyncRecordEvents, &v1::LearnerService::NewStub);
  const double ingest_cpu = servers_cpu() - cpu_before_ingest;
  const double ingest_postgres_cpu = postgres_cpu() - postgres_before_ingest;
  const double ingest_client_cpu = SelfCpuSeconds() - client_before_ingest;
  const double events = static_cast<double>(ingest.calls) * 100.0;
  std::printf(
      "ingest: %zu batches of 100 events (%.0f events) in %.1f s: %.0f events/s durable, "
      "%.0f batches/s; batch latency p50 %.2f ms, p99 %.2f ms; %llu failed; server CPU %.1f s "
      "(%.0f events per server CPU-second); load generator CPU %.1f s\n",
      static_cast<size_t>(ingest.calls), events, ingest.seconds, events / ingest.seconds,
      static_cast<double>(ingest.calls) / ingest.seconds, Percentile(ingest.latencies_ms, 0.5),
      Percentile(ingest.latencies_ms, 0.99), static_cast<unsigned long long>(ingest.failures),
      ingest_cpu, events / ingest_cpu, ingest_client_cpu);
  if (o.postgres_pid > 0) {
    std::printf(
        "ingest: %d replicas; PostgreSQL CPU %.1f s (%.0f events per PostgreSQL CPU-second)\n",
        o.replicas, ingest_postgres_cpu, events / ingest_postgres_cpu);
  }

  const int learners = o.learners;
  const double cpu_before_recommend = servers_cpu();
  const double postgres_before_recommend = postgres_cpu();
  const double client_before_recommend = SelfCpuSeconds();
  RunStats recommend =
      Drive<v1::RecommendationService::Stub, v1::RecommendRequest, v1::RecommendResponse>(
          addresses, o, static_cast<size_t>(o.recommend_calls),
          [learners](size_t i, v1::RecommendRequest* request) {
            // A fixed pseudo-random learner per call (splitmix64 of the index).
            uint64_t z = i + 0x9e3779b97f4a7c15ULL;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            request->set_learner_id("learner" +
                                    std::to_string(z % static_cast<uint64_t>(learners)));
            request->set_k(5);
            request->add_goals("c" + std::to_string(kCompetencies - 1));
          },
          &v1::RecommendationService::Stub::PrepareAsyncRecommend,
          &v1::RecommendationService::NewStub);
  const double recommend_cpu = servers_cpu() - cpu_before_recommend;
  const double recommend_postgres_cpu = postgres_cpu() - postgres_before_recommend;
  const double recommend_client_cpu = SelfCpuSeconds() - client_before_recommend;
  std::printf(
      "recommend: %llu calls in %.1f s: %.0f calls/s; latency p50 %.2f ms, p99 %.2f ms; "
      "%llu failed; server CPU %.1f s (%.0f calls per server CPU-second); load generator "
      "CPU %.1f s\n",
      static_cast<unsigned long long>(recommend.calls), recommend.seconds,
      static_cast<double>(recommend.calls) / recommend.seconds,
      Percentile(recommend.latencies_ms, 0.5), Percentile(recommend.latencies_ms, 0.99),
      static_cast<unsigned long long>(recommend.failures), recommend_cpu,
      static_cast<double>(recommend.calls) / recommend_cpu, recommend_client_cpu);
  if (o.postgres_pid > 0) {
    std::printf("recommend: %d replicas; PostgreSQL CPU %.1f s\n", o.replicas,
                recommend_postgres_cpu);
  }

  const double peak = PeakMemoryMiB(child.pid());
  for (const auto& server : servers) server->Signal(SIGTERM);
  if (!o.store.empty()) {
    std::printf("server peak RSS %.1f MiB (replica 0)\n", peak);
    return ingest.failures == 0 && recommend.failures == 0 ? 0 : 1;
  }
  std::printf(
      "stored: %d learners x %d competencies practised; database %.1f MiB (%s); server peak RSS "
      "%.1f MiB\n",
      o.learners, std::min(o.events_per_learner, kCompetencies), DirectoryMiB(o.data_dir),
      o.data_dir.c_str(), peak);

  // Restart: the time until the server serves again, and until every learner is in memory.
  if (!MeasureRestarts(o)) return 1;
  if (!o.keep_data) {
    std::filesystem::remove_all(o.data_dir, ec);
    std::filesystem::remove(o.data_dir + ".log", ec);
  }
  return ingest.failures == 0 && recommend.failures == 0 ? 0 : 1;
}

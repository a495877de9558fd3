#include "service/metrics_http.h"

#include <chrono>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <sys/socket.h>

namespace pathwise::service {
namespace {

// Scrapes are small and rare: two threads are plenty, and a stalled client is dropped quickly.
constexpr size_t kThreads = 2;
constexpr time_t kTimeoutSeconds = 10;

}  // namespace

struct MetricsHttpServer::Impl {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::string address;
  std::once_flag stopped;
};

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen, const app::MetricsRegistry* registry) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("metrics_listen: expected HOST:PORT, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return Status::InvalidArgument("metrics_listen: port \"" + port_text +
                                   "\" is not in [0, 65535] in \"" + listen + "\"");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const int port = std::stoi(port_text);

  auto impl = std::make_unique<Impl>();
  impl->http.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // httplib's default also sets SO_REUSEPORT, which would let a second server share the port.
  impl->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  impl->http.set_read_timeout(kTimeoutSeconds, 0);
  impl->http.set_write_timeout(kTimeoutSeconds, 0);
  impl->http.set_keep_alive_timeout(kTimeoutSeconds);
  impl->http.Get("/metrics", [registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry->Render(), app::kPrometheusTextContentType);
  });
  impl->http.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain; charset=utf-8");
  });

  if (port == 0) {
    impl->port = impl->http.bind_to_any_port(host);
    if (impl->port <= 0) impl->port = 0;
  } else if (impl->http.bind_to_port(host, port)) {
    impl->port = port;
  }
  if (impl->port == 0) {
    return Status::Unavailable("metrics_listen: cannot listen on '" + listen +
                               "' (address in use, unknown host, or not allowed)");
  }
  impl->address = listen.substr(0, colon) + ":" + std::to_string(impl->port);
  httplib::Server* http = &impl->http;
  impl->thread = std::thread([http] { http->listen_after_bind(); });
  // httplib's stop() does nothing until the loop runs; a Stop right after Start would then wait
  // for ever.
  for (int i = 0; i < 5000 && !http->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

int MetricsHttpServer::port() const { return impl_->port; }
const std::string& MetricsHttpServer::address() const { return impl_->address; }

void MetricsHttpServer::Stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->http.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  });
}

}  // namespace pathwise::service

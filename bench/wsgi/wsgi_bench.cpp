// Cost of one WsgiApp::call (environ, start_response, body iteration, close)
// for trivial apps, with a sink that discards the bytes. Reports ns per call.
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/http/request_parser.hpp"
#include "core/request_body.hpp"
#include "core/response_framer.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/wsgi_app.hpp"

namespace {

class NullSink : public gpp::py::ResponseSink {
 public:
  bool write(std::string_view bytes) override {
    bytes_ += bytes.size();
    ++writes_;
    return true;
  }
  std::size_t bytes_ = 0, writes_ = 0;
};

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

constexpr const char* kGet =
    "GET /plaintext?x=1 HTTP/1.1\r\nHost: localhost:8000\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\nCookie: session=abc123; theme=dark\r\n\r\n";

double run(gpp::py::WsgiApp& app, const char* raw, const std::string& body_bytes, long iterations,
           NullSink& sink) {
  std::string buf(raw);
  gpp::core::http::ParserOptions opts;
  gpp::core::http::RequestHead head;
  auto pr = gpp::core::http::parse_request_head(buf, opts, false, head);
  if (pr.status != gpp::core::http::ParseStatus::Complete) {
    std::fprintf(stderr, "bench request did not parse\n");
    std::exit(1);
  }
  gpp::core::RequestBody body;
  body.append(body_bytes);
  gpp::py::ServerInfo server;
  server.name = "127.0.0.1";
  server.port = "8000";
  gpp::py::RequestContext rc;
  rc.head = &head;
  rc.body = &body;
  rc.server = &server;
  rc.remote_addr = "127.0.0.1";
  rc.remote_port = 40000;
  // GPP_BENCH_SOCKET=1: environ['gunicorn.socket'] on a real socket (a
  // socketpair end), as the workers have it; otherwise None.
  static int pair[2] = {-1, -1};
  if (std::getenv("GPP_BENCH_SOCKET") && pair[0] < 0) ::socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  rc.client_fd = pair[0];
  rc.client_family = pair[0] >= 0 ? AF_UNIX : 0;
  gpp::core::ResponseFramer framer;
  auto once = [&] {
    framer.reset(head.method, head.version_major, head.version_minor, false);
    if (app.call(rc, framer, sink) != gpp::py::CallResult::Ok) {
      std::fprintf(stderr, "call failed\n");
      std::exit(1);
    }
  };
  for (int i = 0; i < 2000; ++i) once();  // warm up
  // Thread CPU time: the machine may be shared; wall time would count waiting.
  double t0 = cpu_ns();
  for (long i = 0; i < iterations; ++i) once();
  return (cpu_ns() - t0) / static_cast<double>(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  gpp::py::initialize({"wsgi_bench"});
  gpp::py::prepend_sys_path({GPP_BENCH_DIR});
  struct Case {
    const char* name;
    const char* app;
    std::string body;
  };
  std::vector<Case> cases = {{"hello (list, Content-Length)", "bench_apps:hello", ""},
                             {"hello (list, chunked)", "bench_apps:hello_chunked", ""},
                             {"generator (2 items)", "bench_apps:generator", ""},
                             {"echo 1 KiB body (wsgi.input.read)", "bench_apps:echo", std::string(1024, 'x')}};
  gpp::py::GilRelease nogil;  // as in a worker: call() takes the GIL
  const char* only = argc > 3 ? argv[3] : nullptr;  // run only cases whose name contains this
  for (auto& c : cases) {
    if (only && !std::strstr(c.name, only)) continue;
    auto app = gpp::py::WsgiApp::load(c.app);
    NullSink sink;
    std::vector<double> results;
    for (int r = 0; r < repeats; ++r) results.push_back(run(app, kGet, c.body, iterations, sink));
    std::sort(results.begin(), results.end());
    std::printf("%-36s median %7.0f ns/call (thread CPU; min %.0f, max %.0f; %zu writes/call)\n", c.name,
                results[results.size() / 2], results.front(), results.back(),
                sink.writes_ / static_cast<std::size_t>((iterations * repeats) + 2000 * repeats));
  }
  return 0;
}

// ns/request and bytes/s for parsing a request head: our parse_request_head
// (full gunicorn validation, views into the buffer) against Boost.Beast's
// http::request_parser (stores the fields) and a bare beast::http::basic_parser
// (tokenises only; callbacks do nothing). Same bytes for all.
#include <utility>  // before any Boost header (Boost 1.74 + GCC 12)

#include <benchmark/benchmark.h>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>

#include "core/http/request_parser.hpp"

namespace http = boost::beast::http;
using namespace gpp::core::http;

namespace {

// 462 bytes: what a browser sends for an image (picohttpparser's benchmark request).
const std::string kBrowserGet =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

// 1682 bytes: an API client's POST head (bearer token, tracing, cookies).
std::string make_api_post() {
  std::string s =
      "POST /api/v2/projects/8f14e45f-ceea-467f-a0e6-4b0c9d1e2f3a/items?include=owner,tags&page=3 "
      "HTTP/1.1\r\n"
      "Host: api.example.com\r\n"
      "User-Agent: python-requests/2.31.0\r\n"
      "Accept: application/json\r\n"
      "Accept-Encoding: gzip, deflate, br\r\n"
      "Connection: keep-alive\r\n"
      "Content-Type: application/json; charset=utf-8\r\n"
      "Content-Length: 1532\r\n"
      "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
      "IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.NHVaYe26MbtOYhSKkoKYdFVomg4i8ZJd8_-"
      "RU8VNbftc4TSMb4bXP3l3YlNWACwyXPGffz5aXHc6lty1Y2t4SWRqGteragsVdZufDn5BlnJl9pdR_kdVFUsra2rWKEof"
      "kZeIC4yWytE58sMIihvo9H1ScmmVwBcQP6XETqYd0aSHp1gOa9RdUPDvoXQ5oqygTqVtxaDr6wUFKrKItgBMzWIdNZ6y7"
      "O9E0DhEPTbE9rfBo6KTFsHAZnMg4k68CDp2woYIaXbmYTWcvbzIuHO7_37GT79XdIwkm95QJ7hYC9RiwrV7mesbY4PAah"
      "ERJawntho0my942XheVLmGwLMBkQ\r\n"
      "X-Request-ID: 7b2c8e4a-1f3d-4c5e-9a8b-0d1e2f3a4b5c\r\n"
      "X-Forwarded-For: 203.0.113.195, 70.41.3.18, 150.172.238.178\r\n"
      "X-Forwarded-Proto: https\r\n"
      "X-Forwarded-Host: api.example.com\r\n"
      "X-Real-IP: 203.0.113.195\r\n"
      "Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
      "Tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\r\n"
      "Cookie: sessionid=38afes7a8; csrftoken=u32t4o3tb3gg43; _ga=GA1.2.1234567890.1234567890; "
      "_gid=GA1.2.0987654321.0987654321; theme=dark; lang=en-US; tz=Europe%2FBerlin\r\n"
      "Origin: https://app.example.com\r\n"
      "Referer: https://app.example.com/projects/8f14e45f/items?view=board&filter=open\r\n"
      "Cache-Control: no-cache\r\n"
      "Pragma: no-cache\r\n"
      "Sec-Fetch-Dest: empty\r\n"
      "Sec-Fetch-Mode: cors\r\n"
      "Sec-Fetch-Site: same-site\r\n"
      "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
      "Idempotency-Key: 5d41402abc4b2a76b9719d911017c592\r\n"
      "X-Client-Version: 4.18.2 (build 20240611.3; linux-x86_64)\r\n"
      "\r\n";
  return s;
}
const std::string kApiPost = make_api_post();

void run_ours(benchmark::State& state, const std::string& in) {
  ParserOptions opts;
  RequestHead head;
  for (auto _ : state) {
    ParseResult r = parse_request_head(in, opts, false, head);
    benchmark::DoNotOptimize(r.consumed);
    benchmark::DoNotOptimize(head.headers.data());
    if (r.status != ParseStatus::Complete) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.counters["ns/request"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate |
                                                   benchmark::Counter::kInvert);
}

void run_beast(benchmark::State& state, const std::string& in) {
  for (auto _ : state) {
    http::request_parser<http::empty_body> p;  // one-shot: a new parser per request
    p.eager(false);
    p.header_limit(64 * 1024);
    boost::beast::error_code ec;
    auto n = p.put(boost::asio::buffer(in), ec);
    benchmark::DoNotOptimize(n);
    if (ec || !p.is_header_done()) state.SkipWithError("beast parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.counters["ns/request"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate |
                                                   benchmark::Counter::kInvert);
}

// Beast's tokenizer alone: callbacks store nothing.
class NullParser : public http::basic_parser<true> {
  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(http::field, boost::beast::string_view, boost::beast::string_view,
                     boost::beast::error_code&) override {}
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(boost::optional<std::uint64_t> const&, boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view s, boost::beast::error_code&) override {
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view s,
                                 boost::beast::error_code&) override {
    return s.size();
  }
  void on_finish_impl(boost::beast::error_code&) override {}
};

void run_beast_basic(benchmark::State& state, const std::string& in) {
  for (auto _ : state) {
    NullParser p;
    p.eager(false);
    p.header_limit(64 * 1024);
    boost::beast::error_code ec;
    auto n = p.put(boost::asio::buffer(in), ec);
    benchmark::DoNotOptimize(n);
    if (ec || !p.is_header_done()) state.SkipWithError("beast parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.counters["ns/request"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate |
                                                   benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK_CAPTURE(run_ours, browser_get, kBrowserGet);
BENCHMARK_CAPTURE(run_beast, browser_get, kBrowserGet);
BENCHMARK_CAPTURE(run_beast_basic, browser_get, kBrowserGet);
BENCHMARK_CAPTURE(run_ours, api_post, kApiPost);
BENCHMARK_CAPTURE(run_beast, api_post, kApiPost);
BENCHMARK_CAPTURE(run_beast_basic, api_post, kApiPost);

BENCHMARK_MAIN();

// Parsing a plain head allocates nothing once the RequestHead's header
// vector has its capacity: all fields are views into the caller's buffer.
// This file replaces the global operator new for the whole test binary; it
// only counts while a test enables counting.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <string>

#include "core/http/chunked_decoder.hpp"
#include "core/http/request_parser.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace gpp::core::http;

TEST_CASE("no allocation per request once warmed up", "[parser][alloc]") {
  const std::string in =
      "POST /api/items?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n"
      "Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
      "Connection: keep-alive\r\nX-Request-ID: 1234\r\nCookie: a=b; c=d\r\n\r\n{}";
  ParserOptions opts;
  RequestHead head;
  REQUIRE(parse_request_head(in, opts, false, head).status == ParseStatus::Complete);
  counting = true;
  allocations = 0;
  for (int i = 0; i < 100; ++i) {
    ParseResult r = parse_request_head(in, opts, false, head);
    CHECK(r.status == ParseStatus::Complete);
  }
  counting = false;
  CHECK(allocations == 0);
  CHECK(head.headers.size() == 8);
}

TEST_CASE("chunked decoding allocates only for the output", "[chunked][alloc]") {
  const std::string in = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
  std::string out;
  out.reserve(64);
  ChunkedDecoder dec;
  counting = true;
  allocations = 0;
  auto r = dec.feed(in, out);
  counting = false;
  CHECK(r.status == ChunkedDecoder::Status::Done);
  CHECK(out == "hello world");
  CHECK(allocations == 0);
}

// One test per rule of core/http/request_parser (gunicorn 26.1 message.py).
#include "core/http/request_parser.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace gpp::core::http;

namespace {

struct Outcome {
  ParseResult r;
  RequestHead head;
};

Outcome parse(const std::string& bytes, const ParserOptions& opts = {}, bool trusted = false) {
  Outcome o;
  o.r = parse_request_head(bytes, opts, trusted, o.head);
  return o;
}

void require_error(const std::string& bytes, int status, const std::string& cls,
                   const ParserOptions& opts = {}, bool trusted = false) {
  INFO(bytes);
  RequestHead head;
  const ParseResult r = parse_request_head(bytes, opts, trusted, head);
  REQUIRE(r.status == ParseStatus::Error);
  CHECK(r.http_status == status);
  CHECK(r.error_class == cls);
}

}  // namespace

TEST_CASE("simple GET", "[parser]") {
  std::string in = "GET /a/b?x=1#frag HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\n\r\nrest";
  auto o = parse(in);
  REQUIRE(o.r.status == ParseStatus::Complete);
  CHECK(o.r.consumed == in.size() - 4);
  CHECK(o.head.method == "GET");
  CHECK(o.head.target == "/a/b?x=1#frag");
  CHECK(o.head.path == "/a/b");
  CHECK(o.head.query == "x=1");
  CHECK(o.head.fragment == "frag");
  CHECK(o.head.version_minor == 1);
  REQUIRE(o.head.headers.size() == 2);
  CHECK(o.head.headers[1].name == "X-A");
  CHECK(o.head.headers[1].value == "v");
  CHECK(o.head.find("x-a") == &o.head.headers[1]);
  CHECK(o.head.keep_alive);
  CHECK(o.head.framing == Framing::None);
  // views point into the input
  CHECK(o.head.method.data() == in.data());
}

TEST_CASE("need more until the head is complete", "[parser]") {
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t k = 0; k < in.size(); ++k) {
    RequestHead h;
    CHECK(parse_request_head(std::string_view(in).substr(0, k), {}, false, h).status ==
          ParseStatus::NeedMore);
  }
  CHECK(parse(in).r.status == ParseStatus::Complete);
  CHECK(parse("GET / HTTP/1.0\r\n\r\n").r.consumed == 18);
}

TEST_CASE("request line rules", "[parser][reject]") {
  require_error("GET\r\n\r\n", 400, "InvalidRequestLine");
  require_error("GET /\r\n\r\n", 400, "InvalidRequestLine");
  require_error("GET  HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");       // empty target
  require_error("GET * HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");      // * only for OPTIONS
  require_error("GET example.com:80 HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");  // authority
  require_error("GET foo/bar HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");  // relative
  require_error("GET http://[::1/ HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");   // urlsplit ValueError
  require_error("GET http://[1.2.3.4]/ HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");
  require_error("GET /a\tb HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");   // CTL in target
  require_error("GET /a\x01 HTTP/1.1\r\n\r\n", 400, "InvalidRequestLine");
  CHECK(parse("OPTIONS * HTTP/1.1\r\n\r\n").r.status == ParseStatus::Complete);
  CHECK(parse("CONNECT example.com:443 HTTP/1.1\r\n\r\n").r.status == ParseStatus::Complete);
  auto abs = parse("GET http://user@h:8/p?q HTTP/1.1\r\n\r\n");
  REQUIRE(abs.r.status == ParseStatus::Complete);
  CHECK(abs.head.path == "/p");
  CHECK(abs.head.query == "q");
  CHECK(parse("GET //x/y HTTP/1.1\r\n\r\n").head.path == "//x/y");
  CHECK(parse("GET http://[::1%25eth0]:8/ HTTP/1.1\r\n\r\n").r.status == ParseStatus::Complete);
}

TEST_CASE("method rules", "[parser][reject]") {
  require_error("get / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod");     // lowercase
  require_error("GE / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod");      // < 3
  require_error("ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod");  // > 20
  require_error("G#T / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod");
  require_error("G(T / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod");     // not a token
  ParserOptions p;
  p.permit_unconventional_http_method = true;
  CHECK(parse("ge / HTTP/1.1\r\n\r\n", p).head.method == "ge");
  require_error("G(T / HTTP/1.1\r\n\r\n", 400, "InvalidRequestMethod", p);  // token still required
  p.casefold_http_method = true;
  auto o = parse("get / HTTP/1.1\r\n\r\n", p);
  CHECK(o.head.method == "GET");
  CHECK(parse("PROPFIND / HTTP/1.1\r\n\r\n").head.method == "PROPFIND");
}

TEST_CASE("version rules", "[parser][reject]") {
  require_error("GET / FTP/1.1\r\n\r\n", 400, "InvalidHTTPVersion");
  require_error("GET / HTTP/111\r\n\r\n", 400, "InvalidHTTPVersion");
  require_error("GET / HTTP/1.1 \r\n\r\n", 400, "InvalidHTTPVersion");
  require_error("GET / HTTP/0.99\r\n\r\n", 400, "InvalidHTTPVersion");
  require_error("GET / HTTP/2.0\r\n\r\n", 505, "InvalidHTTPVersion");
  require_error("GET / HTTP/0.9\r\n\r\n", 505, "InvalidHTTPVersion");
  require_error("GET / HTTP/1.2\r\n\r\n", 400, "InvalidHTTPVersion");
  ParserOptions p;
  p.permit_unconventional_http_version = true;
  CHECK(parse("GET / HTTP/2.0\r\n\r\n", p).head.version_major == 2);
  CHECK(parse("GET / HTTP/1.0\r\n\r\n").head.version_minor == 0);
}

TEST_CASE("limit_request_line", "[parser][reject]") {
  ParserOptions p;
  p.limit_request_line = 20;
  require_error("GET /" + std::string(30, 'a') + " HTTP/1.1\r\n\r\n", 414, "LimitRequestLine", p);
  require_error("GET /" + std::string(30, 'a'), 414, "LimitRequestLine", p);  // before CRLF
  require_error("GET / HTTP/1.1" + std::string(30, 'x') + "\r\n\r\n", 400, "LimitRequestLine", p);
  require_error(std::string(30, 'G') + " / HTTP/1.1\r\n\r\n", 400, "LimitRequestLine", p);
  CHECK(parse("GET /" + std::string(5, 'a') + " HTTP/1.1\r\n\r\n", p).r.status ==
        ParseStatus::Complete);
  p.limit_request_line = 0;  // unlimited
  CHECK(parse("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n", p).r.status ==
        ParseStatus::Complete);
  p.limit_request_line = 100000;  // capped at 8190
  require_error("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414, "LimitRequestLine", p);
}

TEST_CASE("header syntax rules", "[parser][reject]") {
  require_error("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", 400, "InvalidHeaderName");
  require_error("GET / HTTP/1.1\r\nName : v\r\n\r\n", 400, "InvalidHeaderName");
  require_error("GET / HTTP/1.1\r\nN\xc3\xa4me: v\r\n\r\n", 400, "InvalidHeaderName");
  require_error("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400, "InvalidHeader");
  require_error(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26), 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\nA: b\nc: d\r\n\r\n", 400, "InvalidHeader");
  ParserOptions p;
  p.strip_header_spaces = true;
  auto o = parse("GET / HTTP/1.1\r\nName \t: v\r\n\r\n", p);
  REQUIRE(o.r.status == ParseStatus::Complete);
  CHECK(o.head.headers[0].name == "Name");
  CHECK(parse("GET / HTTP/1.1\r\nA: caf\xe9\t\r\n\r\n").head.headers[0].value == "caf\xe9");
}

TEST_CASE("obsolete line folding", "[parser][reject]") {
  const std::string in = "GET / HTTP/1.1\r\nA: one\r\n  two\r\n\tthree\r\n\r\n";
  require_error(in, 400, "ObsoleteFolding");
  ParserOptions p;
  p.permit_obsolete_folding = true;
  auto o = parse(in, p);
  REQUIRE(o.r.status == ParseStatus::Complete);
  CHECK(o.head.headers[0].value == "one two three");
  p.limit_request_field_size = 14;
  require_error(in, 431, "LimitRequestHeaders", p);
}

TEST_CASE("header limits", "[parser][reject]") {
  ParserOptions p;
  p.limit_request_fields = 2;
  require_error("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, "LimitRequestHeaders", p);
  CHECK(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", p).r.status == ParseStatus::Complete);
  // dropped '_' headers do not count (gunicorn counts kept headers)
  CHECK(parse("GET / HTTP/1.1\r\nA: 1\r\nX_Y: z\r\nB: 2\r\n\r\n", p).r.status ==
        ParseStatus::Complete);
  ParserOptions q;
  q.limit_request_field_size = 10;
  require_error("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 431, "LimitRequestHeaders", q);
  CHECK(parse("GET / HTTP/1.1\r\nAcc: */*\r\n\r\n", q).r.status == ParseStatus::Complete);
  q.limit_request_field_size = 0;  // means 8190
  require_error("GET / HTTP/1.1\r\nA: " + std::string(8190, 'x') + "\r\n\r\n", 431,
                "LimitRequestHeaders", q);
  // head never ends and outgrows fields * (size + 2) + 4
  ParserOptions r;
  r.limit_request_fields = 1;
  r.limit_request_field_size = 10;
  require_error("GET / HTTP/1.1\r\n" + std::string(20, 'a'), 431, "LimitRequestHeaders", r);
}

TEST_CASE("header_map for names with underscores", "[parser][reject]") {
  const std::string in = "GET / HTTP/1.1\r\nX_Y: 1\r\nSCRIPT_NAME: /s\r\n\r\n";
  auto dropped = parse(in);
  REQUIRE(dropped.r.status == ParseStatus::Complete);
  CHECK(dropped.head.headers.empty());
  auto trusted = parse(in, {}, true);
  REQUIRE(trusted.head.headers.size() == 1);
  CHECK(trusted.head.headers[0].name == "SCRIPT_NAME");
  ParserOptions refuse;
  refuse.header_map = HeaderMap::Refuse;
  require_error(in, 400, "InvalidHeaderName", refuse);
  ParserOptions dangerous;
  dangerous.header_map = HeaderMap::Dangerous;
  CHECK(parse(in, dangerous).head.headers.size() == 2);
  ParserOptions star;
  star.forwarder_headers = {"*"};
  CHECK(parse(in, star, true).head.headers.size() == 2);
}

TEST_CASE("singleton fields", "[parser][reject]") {
  require_error("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "InvalidHeader");
  require_error("GET / HTTP/1.1\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", 400,
                "InvalidHeader");
  CHECK(parse("GET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n\r\n").head.headers.size() == 2);
}

TEST_CASE("Expect", "[parser][reject]") {
  CHECK(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n").head.expect_continue);
  auto old = parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  REQUIRE(old.r.status == ParseStatus::Complete);
  CHECK_FALSE(old.head.expect_continue);
  require_error("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417, "ExpectationFailed");
}

TEST_CASE("secure scheme headers", "[parser][reject]") {
  const std::string ok = "GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n";
  CHECK(parse(ok, {}, true).head.forwarded_scheme == "https");
  CHECK(parse(ok, {}, false).head.forwarded_scheme.empty());
  const std::string bad = "GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n";
  require_error(bad, 400, "InvalidSchemeHeaders", {}, true);
  CHECK(parse(bad).r.status == ParseStatus::Complete);
}

TEST_CASE("Content-Length framing", "[parser][reject]") {
  auto o = parse("POST / HTTP/1.1\r\nContent-Length: 0012\r\n\r\n");
  CHECK(o.head.framing == Framing::ContentLength);
  CHECK(o.head.content_length == 12);
  require_error("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400,
                "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: 0x1\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: \xb2\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400,
                "InvalidHeader");
}

TEST_CASE("Transfer-Encoding framing", "[parser][reject]") {
  auto o = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(o.head.framing == Framing::Chunked);
  CHECK(o.head.keep_alive);
  CHECK(parse("POST / HTTP/1.1\r\nTransfer-Encoding: identity, chunked\r\n\r\n").head.framing ==
        Framing::Chunked);
  auto gz = parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(gz.head.framing == Framing::Chunked);
  CHECK_FALSE(gz.head.keep_alive);  // compress/deflate/gzip force close
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
                "InvalidHeader");
  require_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400,
                "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400,
                "InvalidHeader");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: br\r\n\r\n", 501, "UnsupportedTransferCoding");
  require_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n", 501,
                "UnsupportedTransferCoding");
}

TEST_CASE("keep-alive and upgrade", "[parser]") {
  CHECK_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").head.keep_alive);
  // only the first Connection header counts, as a whole value (gunicorn)
  CHECK(parse("GET / HTTP/1.1\r\nConnection: x\r\nConnection: close\r\n\r\n").head.keep_alive);
  auto up = parse("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n");
  CHECK(up.head.upgrade);
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").head.upgrade);
}

TEST_CASE("error details read like gunicorn's exceptions", "[parser]") {
  auto o = parse("get / HTTP/1.1\r\n\r\n");
  CHECK(o.r.error_detail == "Invalid HTTP method: 'get'");
  CHECK(parse("GET / HTTP/2.0\r\n\r\n").r.error_detail == "Invalid HTTP Version: (2, 0)");
  CHECK(parse("GET / HTTP/1.1\r\nA: \x01\r\n\r\n").r.error_detail == "Invalid HTTP Header: 'A'");
}

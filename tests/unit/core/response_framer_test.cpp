#include "core/response_framer.hpp"

#include <catch2/catch.hpp>

#include <string>

using gpp::core::ResponseFramer;

namespace {

std::string status_line(const std::string& head) { return head.substr(0, head.find("\r\n")); }

}  // namespace

TEST_CASE("a status without reason phrase is sent with the status-line's SP", "[framer]") {
  ResponseFramer f;
  f.reset("GET", 1, 1, false);
  REQUIRE_FALSE(f.start("200", {{"Content-Length", "0"}}));
  CHECK(f.status_code() == 200);
  CHECK(f.status() == "200");  // the access log's %(s)s is the code
  CHECK(status_line(f.take_head("gunicornpp")) == "HTTP/1.1 200 ");

  f.reset("GET", 1, 0, false);
  REQUIRE_FALSE(f.start("404", {}));
  CHECK(f.status_code() == 404);
  CHECK(status_line(f.take_head("gunicornpp")) == "HTTP/1.0 404 ");

  f.reset("GET", 1, 1, false);
  REQUIRE_FALSE(f.start("204", {{"Content-Length", "5"}}));
  CHECK(f.omits_body());
  CHECK(f.headers().empty());  // no Content-Length on 204, as with a reason phrase
}

TEST_CASE("a reason phrase is sent as given", "[framer]") {
  ResponseFramer f;
  f.reset("GET", 1, 1, false);
  REQUIRE_FALSE(f.start("200 OK", {}));
  CHECK(status_line(f.take_head("gunicornpp")) == "HTTP/1.1 200 OK");
  f.reset("GET", 1, 1, false);
  REQUIRE_FALSE(f.start("404 ", {}));
  CHECK(status_line(f.take_head("gunicornpp")) == "HTTP/1.1 404 ");
}

TEST_CASE("statuses that make no RFC 9112 status-line are refused", "[framer]") {
  for (const char* bad : {"", "20", "2000", "20x", "200\tOK", " 200 OK", "OK", "200 OK\r\nX: y", "200\n"}) {
    ResponseFramer f;
    f.reset("GET", 1, 1, false);
    auto err = f.start(bad, {});
    REQUIRE(err);
    CHECK(err->rfind("Invalid status", 0) == 0);
    CHECK_FALSE(f.started());
  }
}

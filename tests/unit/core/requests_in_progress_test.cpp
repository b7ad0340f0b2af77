#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "core/requests_in_progress.hpp"

namespace {

/// Everything write_requests_in_progress() writes, read back through a pipe.
std::string dump(int* count = nullptr) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  int n = gpp::core::write_requests_in_progress(fds[1]);
  if (count) *count = n;
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t got; (got = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(got));
  ::close(fds[0]);
  return out;
}

}  // namespace

TEST_CASE("requests in progress are written with the worker's pid, one line each") {
  std::string pid = std::to_string(::getpid());
  int count = -1;
  CHECK(dump(&count).empty());
  CHECK(count == 0);
  {
    gpp::core::RequestInProgress a("GET", "/slow?t=1", 1, 1, "127.0.0.1", 51234);
    std::optional<gpp::core::RequestInProgress> b;
    b.emplace("POST", "/upload", 1, 0, "/tmp/gpp.sock", -1);
    std::string out = dump(&count);
    CHECK(count == 2);
    CHECK(out.find("Worker (pid:" + pid + ") timed out while serving: GET /slow?t=1 HTTP/1.1 (client 127.0.0.1:51234)\n") !=
          std::string::npos);
    CHECK(out.find("Worker (pid:" + pid + ") timed out while serving: POST /upload HTTP/1.0 (client /tmp/gpp.sock)\n") !=
          std::string::npos);
    b.reset();
    CHECK(dump(&count).find("POST") == std::string::npos);
    CHECK(count == 1);
  }
  CHECK(dump().empty());
}

TEST_CASE("a long target is cut, never overflowing the slot") {
  std::string target(5000, 'x');
  gpp::core::RequestInProgress r("GET", target, 1, 1, std::string(2000, 'a'), 1);
  std::string out = dump();
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  CHECK(out.size() < 1200);
  CHECK(out.find(std::string(512, 'x') + " HTTP/1.1") != std::string::npos);
}

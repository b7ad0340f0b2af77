#include "core/log/access_log_format.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "core/log/statsd.hpp"

using namespace gpp::core::log;
using gpp::core::http::Header;

namespace {

struct Fixture {
  std::vector<Header> req = {{"Host", "example"}, {"X-Test", "first"}, {"X-Test", "a \"q\""},
                             {"Referer", "http://r/"}, {"User-Agent", "caf\xe9"},
                             {"Authorization", "Basic YWxpY2U6c2VjcmV0"}};
  std::vector<std::pair<std::string, std::string>> resp = {{"Content-Type", "text/plain"}, {"X-Resp", "v"}};
  std::map<std::string, std::string> environ = {{"http_referer", "http://r/"}, {"http_user_agent", "caf\xe9"},
                                                {"http_authorization", "Basic YWxpY2U6c2VjcmV0"},
                                                {"path_info", "/p\xe9"}, {"remote_addr", "10.0.0.1"}};
  AccessInfo info;

  Fixture() {
    info.remote_addr = "10.0.0.1";
    info.method = "GET";
    info.raw_uri = "/p%E9?x=\"1\"";
    info.protocol = "HTTP/1.1";
    info.path_info = std::string_view("/p\xe9");
    info.query = "x=\"1\"";
    info.status = "200 OK";
    info.body_bytes = 42;
    info.request_headers = &req;
    info.response_headers = &resp;
    info.duration_us = 2'345'678;
    info.now = 0;
    info.pid = 1234;
    info.environ = [this](std::string_view key, std::string& out) {
      auto it = environ.find(std::string(key));
      if (it == environ.end()) return false;
      out += it->second;
      return true;
    };
  }

  std::string render(std::string_view fmt) {
    std::string err;
    auto f = AccessLogFormat::compile(fmt, &err);
    REQUIRE(f);
    std::string out;
    REQUIRE(f->render(info, out));
    return out;
  }
};

}  // namespace

TEST_CASE("default format renders gunicorn's combined line", "[access_log]") {
  Fixture fx;
  std::string line = fx.render(AccessLogFormat::kDefault);
  std::string t = fx.render("%(t)s");
  CHECK(line == "10.0.0.1 - alice " + t + " \"GET /p%E9?x=\\\"1\\\" HTTP/1.1\" 200 42 \"http://r/\" \"caf\xc3\xa9\"");
  CHECK(t.size() == std::string("[01/Jan/1970:00:00:00 +0000]").size());
}

TEST_CASE("every atom", "[access_log]") {
  Fixture fx;
  CHECK(fx.render("%(l)s|%(s)s|%(m)s|%(U)s|%(q)s|%(H)s|%(b)s|%(B)s") ==
        "-|200|GET|/p\xc3\xa9|x=\\\"1\\\"|HTTP/1.1|42|42");
  CHECK(fx.render("%(T)s %(D)s %(M)s %(L)s %(p)s") == "2 2345678 2345 2.345678 <1234>");
  CHECK(fx.render("%({x-test}i)s %({X-TEST}i)s %({host}i)s %({nope}i)s") == "a \\\"q\\\" a \\\"q\\\" example -");
  CHECK(fx.render("%({content-type}o)s %({X-Resp}o)s %({nope}o)s") == "text/plain v -");
  CHECK(fx.render("%({REMOTE_ADDR}e)s %({path_info}e)s %({nope}e)s") == "10.0.0.1 /p\xc3\xa9 -");
  CHECK(fx.render("%(nope)s %(H1)s %({x}z)s %(x-test)s") == "- - - -");
}

TEST_CASE("Python conversions, flags, width and precision", "[access_log]") {
  Fixture fx;
  CHECK(fx.render("%(B)05d|%(B)-5d|%(B)+d|%(B)x|%(B)X|%(B)#x|%(B)o|%(B)#o|%(B).1f|%(B)c") ==
        "00042|42   |+42|2a|2A|0x2a|52|0o52|42.0|*");
  CHECK(fx.render("%(h)12s|%(h)-12s|%(h).4s|%(m)ls|100%%") == "    10.0.0.1|10.0.0.1    |10.0|GET|100%");
  CHECK(fx.render("%(s)r %(B)r %(a)r %(a)a") == "'200' 42 'caf\xc3\xa9' 'caf\\xe9'");
  fx.info.path_info.reset();
  fx.info.status = "";
  CHECK(fx.render("%(U)s %(s)s") == "None None");
}

TEST_CASE("formats Python rejects do not compile", "[access_log]") {
  for (const char* bad : {"100%", "%s", "%(h)", "%(h", "%(h)*d", "%(h)z", "%(h)%", "%(h)5"}) {
    std::string err;
    CHECK_FALSE(AccessLogFormat::compile(bad, &err));
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("a numeric conversion of a string fails the line, as Python's TypeError", "[access_log]") {
  Fixture fx;
  auto f = AccessLogFormat::compile("%(h)d");
  REQUIRE(f);
  std::string out = "keep";
  CHECK_FALSE(f->render(fx.info, out));
  CHECK(out == "keep");
}

TEST_CASE("basic auth user as gunicorn's _get_user", "[access_log]") {
  CHECK(basic_auth_user("Basic YWxpY2U6c2VjcmV0") == "alice");
  CHECK(basic_auth_user("basic YWxpY2U=") == "alice");
  CHECK(basic_auth_user("BASIC  Ym9i") == "bob");
  CHECK_FALSE(basic_auth_user("Bearer abc"));
  CHECK_FALSE(basic_auth_user("Basic"));
  CHECK_FALSE(basic_auth_user("Basic YWxpY2"));  // Incorrect padding
  CHECK_FALSE(basic_auth_user("Basic /w=="));    // not UTF-8
}

TEST_CASE("statsd prefix and milliseconds as gunicorn prints them", "[statsd]") {
  CHECK(statsd::normalise_prefix("") == "");
  CHECK(statsd::normalise_prefix("app") == "app.");
  CHECK(statsd::normalise_prefix("app...") == "app.");
  CHECK(statsd::normalise_prefix("a") == "a");
  CHECK(statsd::milliseconds_text(512) == "0.512");
  CHECK(statsd::milliseconds_text(12000) == "12.0");
  CHECK(statsd::milliseconds_text(1234500) == "1234.5");
}

TEST_CASE("environ_keys lists the {x}e atoms once, lower-cased", "[access_log]") {
  auto f = AccessLogFormat::compile("%({REMOTE_USER}e)s %({remote_user}e)s %({x}i)s %({MyApp.Id}e)d %(h)s");
  REQUIRE(f);
  CHECK(f->environ_keys() == std::vector<std::string>{"remote_user", "myapp.id"});
  CHECK(AccessLogFormat::compile("%(h)s %({x}i)s")->environ_keys().empty());
}

TEST_CASE("{x}e values from the app's environ win, formatted as gunicorn", "[access_log]") {
  Fixture fx;
  AppEnviron app;
  app.emplace_back("remote_user", EnvironValue{EnvironValue::Str, "bob \"b\"", 0});
  app.emplace_back("myapp.id", EnvironValue{EnvironValue::Int, "", 42});
  app.emplace_back("myapp.none", EnvironValue{EnvironValue::None, "", 0});
  app.emplace_back("myapp.list", EnvironValue{EnvironValue::Other, "['a\"']", 0});
  app.emplace_back("remote_addr", EnvironValue{EnvironValue::Str, "from-app", 0});
  app.emplace_back("myapp.gone", std::nullopt);
  fx.info.app_environ = &app;
  // str values get SafeAtoms' '"' escaping; other objects are str()'d as they are.
  CHECK(fx.render("%({REMOTE_USER}e)s|%({myapp.id}e)s|%({myapp.id}e)04d|%({myapp.none}e)s|%({myapp.list}e)s|"
                  "%({myapp.gone}e)s|%({remote_addr}e)s|%({path_info}e)s|%(h)s") ==
        "bob \\\"b\\\"|42|0042|None|['a\"']|-|from-app|/p\xc3\xa9|10.0.0.1");
  // %d of a str fails as in Python: no line.
  auto f = AccessLogFormat::compile("%({remote_user}e)d");
  std::string out;
  CHECK_FALSE(f->render(fx.info, out));
}

#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include "config/load.hpp"
#include "config/pyformat.hpp"

using namespace gpp::config;

TEST_CASE("defaults", "[config]") {
  Config cfg;
  CHECK(cfg.get_int("workers") >= 1);
  CHECK(cfg.get_string("worker_class") == "sync");
  CHECK(cfg.get_int("timeout") == 30);
  CHECK(cfg.get_int("limit_request_line") == 4094);
  CHECK(cfg.get_list("forwarder_headers") == StringList{"SCRIPT_NAME", "PATH_INFO"});
  CHECK(cfg.get_string("header_map") == "drop");
  CHECK(cfg.get_map("secure_scheme_headers").size() == 3);
  CHECK(cfg.get_int("user") == static_cast<std::int64_t>(::geteuid()));
  CHECK(cfg.get_string("proxy_protocol") == "off");
  CHECK(cfg.get_list("http_protocols") == StringList{"h1"});
  CHECK(cfg.get_int("control_socket_mode") == 0600);
  CHECK(std::holds_alternative<std::monostate>(cfg.get("sendfile")));
  CHECK(cfg.get_string("chdir").front() == '/');
  CHECK_FALSE(cfg.is_set("workers"));
  CHECK_THROWS_AS(cfg.get("nope"), std::out_of_range);
}

TEST_CASE("gunicorn's coercions", "[config]") {
  Config cfg;
  cfg.set("bind", std::string("0.0.0.0:80"), 1);
  CHECK(cfg.get_list("bind") == StringList{"0.0.0.0:80"});
  cfg.set("workers", std::string("75"), 1);
  CHECK(cfg.get_int("workers") == 75);
  cfg.set("workers", std::string("0x10"), 1);
  CHECK(cfg.get_int("workers") == 16);
  CHECK_THROWS_AS(cfg.set("workers", std::string("075"), 1), ConfigError);  // int('075', 0)
  cfg.set("workers", true, 1);
  CHECK(cfg.get_int("workers") == 1);
  CHECK_THROWS_AS(cfg.set("workers", 2.5, 1), ConfigError);
  cfg.set("umask", std::string("0o27"), 1);
  CHECK(cfg.get_int("umask") == 027);
  cfg.set("reload", std::string(" TRUE "), 1);
  CHECK(cfg.get_bool("reload"));
  cfg.set("reload", std::string("false"), 1);
  CHECK_FALSE(cfg.get_bool("reload"));
  CHECK_THROWS_AS(cfg.set("reload", std::string("yes"), 1), ConfigError);
  CHECK_THROWS_AS(cfg.set("reload", std::int64_t{1}, 1), ConfigError);
  cfg.set("forwarded_allow_ips", std::string("10.0.0.0/8, 192.168.0.1,*"), 1);
  CHECK(cfg.get_list("forwarded_allow_ips") == StringList{"10.0.0.0/8", "192.168.0.1", "*"});
  CHECK_THROWS_AS(cfg.set("forwarded_allow_ips", std::string("10.0.0.1/8"), 1), ConfigError);
  CHECK_THROWS_AS(cfg.set("forwarded_allow_ips", std::string("nonsense"), 1), ConfigError);
  cfg.set("secure_scheme_headers", StringMap{{"X-PROTO", "https"}}, 1);
  CHECK(cfg.get_map("secure_scheme_headers") == StringMap{{"X-PROTO", "https"}});
  CHECK_THROWS_AS(cfg.set("secure_scheme_headers", std::string("x"), 1), ConfigError);
  cfg.set("proxy_protocol", true, 1);
  CHECK(cfg.get_string("proxy_protocol") == "auto");
  cfg.set("proc_name", std::string("  app  "), 1);
  CHECK(cfg.get_string("proc_name") == "app");
  cfg.set("user", std::string("root"), 1);
  CHECK(cfg.get_int("user") == 0);
  cfg.set("raw_env", std::string("A=1"), 1);
  CHECK(cfg.env() == StringMap{{"A", "1"}});
}

TEST_CASE("hooks: callables with the right arity", "[config][hooks]") {
  Config cfg;
  CHECK_FALSE(cfg.is_set("on_starting"));
  cfg.set("on_starting", Callable{"<function on_starting at 0x1>", 1}, 1);
  CHECK(cfg.is_set("on_starting"));
  cfg.set("on_starting", Callable{"<built-in function print>", -1}, 1);  // unknown arity: accepted
  CHECK_THROWS_WITH(cfg.set("on_starting", Callable{"<function f at 0x1>", 2}, 1, "c.py"),
                    "Error: Invalid value for on_starting: <function f at 0x1> (c.py): "
                    "Value must have an arity of: 1");
  CHECK_THROWS_WITH(cfg.set("when_ready", std::int64_t{3}, 1, "c.py"),
                    "Error: Invalid value for when_ready: 3 (c.py): Value is not callable: 3");
  for (int arity : {2, 3, 4}) CHECK_NOTHROW(cfg.set("post_request", Callable{"f", arity}, 1));
  CHECK_THROWS_AS(cfg.set("post_request", Callable{"f", 1}, 1), ConfigError);
  cfg.set("pre_fork", std::string("mymod.pre_fork"), 1);  // import string, resolved by python_shim
  CHECK_THROWS_AS(cfg.set("pre_fork", std::string("nodot"), 1), ConfigError);
}

TEST_CASE("worker_class: sync with threads becomes gthread", "[config]") {
  Config cfg;
  CHECK(cfg.worker_class() == "sync");
  cfg.set("threads", std::int64_t{4}, 2);
  CHECK(cfg.worker_class() == "gthread");
  cfg.set("worker_class", std::string("gunicorn.workers.sync.SyncWorker"), 2);
  CHECK(cfg.worker_class() == "gthread");
  cfg.set("worker_class", std::string("coro"), 2);
  CHECK(cfg.worker_class() == "coro");
}

TEST_CASE("worker_class: gunicorn's gevent classes select coro", "[config]") {
  Config cfg;
  for (const char* name : {"gevent", "gevent_wsgi", "gevent_pywsgi", "egg:gunicorn#gevent",
                           "gunicorn.workers.ggevent.GeventWorker", "gunicorn.workers.ggevent.GeventPyWSGIWorker"}) {
    cfg.set("worker_class", std::string(name), 2);
    CHECK(cfg.worker_class() == "coro");
  }
  cfg.set("worker_class", std::string("gunicorn.workers.gthread.ThreadWorker"), 2);
  CHECK(cfg.worker_class() == "gthread");
  cfg.set("worker_class", std::string("egg:gunicorn#sync"), 2);
  CHECK(cfg.worker_class() == "sync");
  cfg.set("worker_class", std::string("eventlet"), 2);
  CHECK(cfg.worker_class() == "eventlet");  // rejected at start (daemon/main.cpp)
}

TEST_CASE("error texts and statuses", "[config][errors]") {
  Config cfg;
  try {
    cfg.set("workers", std::int64_t{-1}, 2);
    FAIL("no throw");
  } catch (const ConfigError& e) {
    CHECK(e.exit_status == 2);
    CHECK(std::string(e.what()) ==
          "usage: gunicornpp [OPTIONS] [APP_MODULE]\n"
          "gunicornpp: error: argument -w/--workers: Value must be positive: -1");
  }
  try {
    cfg.set("workers", std::string("abc"), 1, "/etc/gunicorn.conf.py");
    FAIL("no throw");
  } catch (const ConfigError& e) {
    CHECK(e.exit_status == 1);
    CHECK(std::string(e.what()) ==
          "Error: Invalid value for workers: abc (/etc/gunicorn.conf.py): "
          "invalid literal for int() with base 0: 'abc'");
  }
}

TEST_CASE("py_int follows Python's int()", "[pyformat]") {
  CHECK(py_int("42", 10) == 42);
  CHECK(py_int(" -7 ", 10) == -7);
  CHECK(py_int("1_000", 10) == 1000);
  CHECK(py_int("010", 10) == 10);
  CHECK_FALSE(py_int("010", 0));
  CHECK(py_int("00", 0) == 0);
  CHECK(py_int("0o17", 0) == 15);
  CHECK(py_int("0X1f", 0) == 31);
  CHECK(py_int("0b101", 0) == 5);
  CHECK_FALSE(py_int("0x", 0));
  CHECK_FALSE(py_int("1__0", 10));
  CHECK_FALSE(py_int("", 10));
  CHECK_FALSE(py_int("abc", 10));
  CHECK_FALSE(py_int("0x10", 10));
}

TEST_CASE("py_str/py_repr follow Python", "[pyformat]") {
  CHECK(py_str(Value{}) == "None");
  CHECK(py_str(true) == "True");
  CHECK(py_str(std::string("a b")) == "a b");
  CHECK(py_repr(std::string("it's")) == "\"it's\"");
  CHECK(py_str(StringList{"a", "b'c"}) == "['a', \"b'c\"]");
  CHECK(py_str(StringMap{{"K", "v"}}) == "{'K': 'v'}");
  CHECK(py_str(2.0) == "2.0");
  CHECK(py_repr_string("a\\b\n") == "'a\\\\b\\n'");
}

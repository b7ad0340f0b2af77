// TOML files, precedence and the choice of config file.
#include "config/load.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cases.hpp"
#include "config/setting_spec.hpp"

using namespace gpp::config;
namespace fs = std::filesystem;

namespace {

/// A fresh temporary directory, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/gpp-config-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

/// Runs the body with the working directory and GUNICORN_CMD_ARGS set, then restores both.
struct Environment {
  fs::path old_cwd = fs::current_path();
  explicit Environment(const fs::path& cwd, const char* cmd_args) {
    fs::current_path(cwd);
    if (cmd_args) {
      ::setenv("GUNICORN_CMD_ARGS", cmd_args, 1);
    } else {
      ::unsetenv("GUNICORN_CMD_ARGS");
    }
  }
  ~Environment() {
    fs::current_path(old_cwd);
    ::unsetenv("GUNICORN_CMD_ARGS");
  }
};

int load_status(const TempDir& dir, const std::vector<std::string>& args, std::string* message = nullptr) {
  Environment env(dir.path, nullptr);
  try {
    load_configuration(args, {});
  } catch (const ConfigError& e) {
    if (message) *message = e.what();
    return e.exit_status;
  }
  return 0;
}

}  // namespace

TEST_CASE("every setting from TOML: a valid and an invalid value", "[toml]") {
  TempDir dir;
  for (const auto& spec : settings_table()) {
    INFO(spec.name);
    const std::string key(spec.name);
    const auto good = dir.write("good.toml", key + " = " + test::valid_toml(spec) + "\n");
    RawSettings raw;
    REQUIRE_NOTHROW(raw = read_toml_file(good));
    REQUIRE(raw.values.size() == 1);
    Config cfg;
    REQUIRE_NOTHROW(cfg = merge_sources(&raw, nullptr, CommandLine{}));
    // (config only names the file; suppress_ragged_eofs' flag stores its default, True)
        if (spec.name != "config" && spec.name != "suppress_ragged_eofs") CHECK(cfg.is_set(spec.name));

    const std::string bad_rhs = test::invalid_toml(spec);
    if (bad_rhs.empty()) continue;
    const auto bad = dir.write("bad.toml", key + " = " + bad_rhs + "\n");
    try {
      RawSettings bad_raw = read_toml_file(bad);
      merge_sources(&bad_raw, nullptr, CommandLine{});
      FAIL("accepted " << bad_rhs);
    } catch (const ConfigError& e) {
      CHECK(e.exit_status == 1);
      CHECK_THAT(e.what(), Catch::Contains(key) && Catch::Contains(bad));
      CHECK(std::string(e.what()).find('\n') == std::string::npos);  // one line
    }
  }
}

TEST_CASE("TOML: unknown keys, parse errors, tables", "[toml]") {
  TempDir dir;
  auto path = dir.write("c.toml", "wrkers = 3\n");
  CHECK_THROWS_WITH(read_toml_file(path), "Error: " + path + ": unknown setting 'wrkers' (did you mean 'workers'?)");
  path = dir.write("c.toml", "max-requests = 3\n");
  CHECK_THROWS_WITH(read_toml_file(path), Catch::EndsWith("(did you mean 'max_requests'?)"));
  path = dir.write("c.toml", "workers = \n");
  CHECK_THROWS_WITH(read_toml_file(path), Catch::StartsWith("Error: " + path + ": TOML parse error at line 1"));
  path = dir.write("c.toml", "bind = [\"127.0.0.1:1\", \"unix:/tmp/s\"]\nworkers = \"4\"\n"
                             "[secure_scheme_headers]\nX-FORWARDED-PROTO = \"https\"\n");
  RawSettings raw = read_toml_file(path);
  Config cfg = merge_sources(&raw, nullptr, CommandLine{});
  CHECK(cfg.get_list("bind") == StringList{"127.0.0.1:1", "unix:/tmp/s"});
  CHECK(cfg.get_int("workers") == 4);
  CHECK(cfg.get_map("secure_scheme_headers") == StringMap{{"X-FORWARDED-PROTO", "https"}});
}

TEST_CASE("hooks from a conf.py: callables accepted, non-callables rejected", "[hooks]") {
  for (const auto& spec : settings_table()) {
    if (!is_hook_spec(spec)) continue;
    INFO(spec.name);
    const int arity = spec.validator == &validators::post_request ? 4 : spec.arity;
    RawSettings good{"/srv/gunicorn.conf.py", {{std::string(spec.name), Callable{"<function f at 0x7f>", arity}}}};
    Config cfg = merge_sources(&good, nullptr, CommandLine{});
    CHECK(cfg.is_set(spec.name));
    RawSettings bad{"/srv/gunicorn.conf.py", {{std::string(spec.name), std::int64_t{3}}}};
    CHECK_THROWS_WITH(merge_sources(&bad, nullptr, CommandLine{}),
                      "Error: Invalid value for " + std::string(spec.name) +
                          ": 3 (/srv/gunicorn.conf.py): Value is not callable: 3");
    RawSettings wrong{"/srv/gunicorn.conf.py", {{std::string(spec.name), Callable{"f", arity + 1}}}};
    CHECK_THROWS_AS(merge_sources(&wrong, nullptr, CommandLine{}), ConfigError);
  }
  RawSettings unknown{"c.py", {{"not_a_setting", std::int64_t{1}}, {"os", std::string("module")}}};
  CHECK_NOTHROW(merge_sources(&unknown, nullptr, CommandLine{}));  // a conf.py may define anything
}

TEST_CASE("precedence: defaults < file < GUNICORN_CMD_ARGS < command line", "[precedence]") {
  RawSettings file{"conf.py", {{"workers", std::int64_t{2}}, {"threads", std::int64_t{2}}, {"timeout", std::int64_t{5}},
                               {"wsgi_app", std::string("file:app")}}};
  CommandLine env = parse_command_line({"-w", "3", "--threads", "3"}, "GUNICORN_CMD_ARGS");
  CommandLine cli = parse_command_line({"-w", "4"}, "command line");
  Config cfg = merge_sources(&file, &env, cli);
  CHECK(cfg.get_int("workers") == 4);
  CHECK(cfg.get_int("threads") == 3);
  CHECK(cfg.get_int("timeout") == 5);
  CHECK(cfg.get_int("graceful_timeout") == 30);
  CHECK(cfg.app_uri == "file:app");  // wsgi_app when no APP_MODULE
  cli = parse_command_line({"cli:app"}, "command line");
  CHECK(merge_sources(&file, &env, cli).app_uri == "cli:app");
  // append flags replace the file's list, they do not extend it
  RawSettings binds{"conf.py", {{"bind", StringList{"a:1", "b:2"}}}};
  cli = parse_command_line({"-b", "c:3"}, "command line");
  CHECK(merge_sources(&binds, nullptr, cli).get_list("bind") == StringList{"c:3"});
}

TEST_CASE("a bad GUNICORN_CMD_ARGS value is a usage error", "[precedence]") {
  TempDir dir;
  Environment env(dir.path, "-w y");
  try {
    load_configuration({"app:app"}, {});
    FAIL("no throw");
  } catch (const ConfigError& e) {
    CHECK(e.exit_status == 2);
    CHECK_THAT(e.what(), Catch::EndsWith("argument -w/--workers: invalid int value: 'y'"));
  }
}

TEST_CASE("-c selection: CLI, else GUNICORN_CMD_ARGS, else ./gunicorn.conf.py", "[precedence][files]") {
  TempDir dir;
  const auto cli_toml = dir.write("cli.toml", "workers = 7\n");
  const auto env_toml = dir.write("env.toml", "workers = 8\n");
  std::vector<std::string> loaded;
  PythonConfigLoader loader = [&](const std::string& spec) {
    loaded.push_back(spec);
    return RawSettings{spec, {{"workers", std::int64_t{9}}}};
  };
  {
    Environment env(dir.path, ("-c " + env_toml).c_str());
    auto l = load_configuration({"-c", cli_toml, "app:app"}, loader);
    CHECK(l.config.get_int("workers") == 7);
    CHECK(l.config_file == cli_toml);
    CHECK(l.config.get_string("config") == cli_toml);
    l = load_configuration({"app:app"}, loader);
    CHECK(l.config.get_int("workers") == 8);
    CHECK(l.config_file == env_toml);
  }
  {
    Environment env(dir.path, nullptr);
    auto l = load_configuration({"app:app"}, loader);  // no gunicorn.conf.py yet
    CHECK_FALSE(l.config_file);
    CHECK(loaded.empty());
    dir.write("gunicorn.conf.py", "workers = 9\n");
    l = load_configuration({"app:app"}, loader);
    CHECK(l.config.get_int("workers") == 9);
    REQUIRE(loaded.size() == 1);
    CHECK(fs::path(loaded[0]) == fs::current_path() / "gunicorn.conf.py");
    CHECK(l.config.get_string("config") == "./gunicorn.conf.py");
    loaded.clear();
    load_configuration({"-c", "python:my.settings", "app:app"}, loader);
    load_configuration({"-c", "file:gunicorn.conf.py", "app:app"}, loader);
    load_configuration({"-c", "gunicorn.conf.py", "app:app"}, loader);
    CHECK(loaded == std::vector<std::string>{"python:my.settings", "gunicorn.conf.py", "gunicorn.conf.py"});
  }
}

TEST_CASE("load_configuration errors and statuses", "[errors]") {
  TempDir dir;
  std::string m;
  CHECK(load_status(dir, {"-c", "missing.toml", "app:app"}, &m) == 1);
  CHECK(m == "Error: 'missing.toml' doesn't exist");
  CHECK(load_status(dir, {}, &m) == 1);
  CHECK(m == "Error: No application module specified.");
  CHECK(load_status(dir, {"--bogus", "app:app"}) == 2);
  dir.write("bad.toml", "workers = -2\n");
  CHECK(load_status(dir, {"-c", "bad.toml", "app:app"}, &m) == 1);
  CHECK(m == "Error: Invalid value for workers: -2 (bad.toml): Value must be positive: -2");
  CHECK(load_status(dir, {"--version", "--bogus"}) == 0);
}

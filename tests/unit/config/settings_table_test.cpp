#include "config/setting_spec.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "config/config.hpp"
#include "config/load.hpp"

using namespace gpp::config;

TEST_CASE("the table has gunicorn 26.1's 119 settings plus our 3", "[table]") {
  std::size_t gunicorn = 0, ours = 0;
  for (const auto& spec : settings_table()) (spec.ours ? ours : gunicorn)++;
  CHECK(gunicorn == 119);
  CHECK(ours == 3);
  for (auto name : {"request_timeout", "metrics_bind", "max_worker_memory"}) {
    REQUIRE(find_setting(name));
    CHECK(find_setting(name)->ours);
  }
}

TEST_CASE("names and flags are unique", "[table]") {
  std::set<std::string_view> names, flags;
  for (const auto& spec : settings_table()) {
    CHECK(names.insert(spec.name).second);
    for (auto flag : spec.cli) CHECK(flags.insert(flag).second);
    CHECK(spec.validator != nullptr);
    CHECK_FALSE(spec.doc.empty());
  }
}

TEST_CASE("gunicorn's flag spellings and aliases", "[table]") {
  CHECK(find_setting("limit_request_field_size")->cli == std::vector<std::string_view>{"--limit-request-field_size"});
  CHECK(find_setting("errorlog")->cli == std::vector<std::string_view>{"--error-logfile", "--log-file"});
  CHECK(find_setting("paste")->cli == std::vector<std::string_view>{"--paste", "--paster"});
  CHECK(find_setting("sendfile")->cli == std::vector<std::string_view>{"--no-sendfile"});
  CHECK(find_setting("control_socket_disable")->cli == std::vector<std::string_view>{"--no-control-socket"});
  CHECK(find_setting("proxy_allow_ips")->cli == std::vector<std::string_view>{"--proxy-allow-from"});
}

TEST_CASE("every default passes its validator", "[table]") {
  for (const auto& spec : settings_table()) {
    INFO(spec.name);
    const Value raw = spec.default_fn ? spec.default_fn() : spec.default_value;
    if (std::holds_alternative<std::monostate>(raw)) continue;  // gunicorn skips None
    CHECK_NOTHROW(spec.validator(raw, spec));
  }
  CHECK_NOTHROW(Config());
}

TEST_CASE("only the listed settings are marked implemented", "[table][support]") {
  const std::set<std::string_view> expected{
      "config", "wsgi_app", "bind", "workers", "worker_class", "chdir", "pythonpath", "timeout",
      "graceful_timeout", "print_config", "check_config", "limit_request_line", "limit_request_fields",
      "limit_request_field_size", "permit_unconventional_http_method", "permit_unconventional_http_version",
      "casefold_http_method", "permit_obsolete_folding", "strip_header_spaces", "header_map",
      "forwarder_headers", "forwarded_allow_ips", "secure_scheme_headers", "raw_env", "errorlog", "loglevel",
      "preload_app", "proxy_protocol", "proxy_allow_ips", "max_requests", "max_requests_jitter",
      "worker_tmp_dir", "backlog",
      // the arbiter issue: hooks and process settings
      "on_starting", "on_reload", "when_ready", "pre_fork", "post_fork", "post_worker_init", "worker_int", "worker_abort", "pre_request", "post_request", "child_exit", "worker_exit", "nworkers_changed", "on_exit", "pidfile", "daemon", "user", "group", "umask", "initgroups", "proc_name", "default_proc_name", "reload", "reload_engine", "reload_extra_files", "reuse_port", "enable_stdio_inheritance", "threads", "worker_connections", "keepalive", "request_timeout",
      // the logging issue
      "accesslog", "disable_redirect_access_to_syslog", "access_log_format", "capture_output", "logconfig", "logconfig_dict", "logconfig_json", "syslog_addr", "syslog", "syslog_prefix", "syslog_facility", "statsd_host", "dogstatsd_tags", "statsd_prefix", "paste",
      // the metrics endpoint
      "metrics_bind"};
  std::set<std::string_view> actual;
  for (const auto& spec : settings_table()) {
    if (spec.support == kImplemented) actual.insert(spec.name);
  }
  CHECK(actual == expected);
}

TEST_CASE("unsupported settings in use are reported once each", "[support]") {
  Config cfg;
  CHECK(unsupported_settings_in_use(cfg).empty());
  cfg.set("workers", std::int64_t{4}, 2);   // implemented
  cfg.set("keyfile", std::string("key.pem"), 2);  // not yet
  cfg.set("max_requests", std::int64_t{0}, 2);  // still the default
  cfg.set("ssl_context", Callable{"<function ssl_context at 0x1>", 2}, 1);
  CHECK(unsupported_settings_in_use(cfg) == std::vector<std::string>{"ssl_context", "keyfile"});
}

TEST_CASE("hook defaults carry gunicorn's arity", "[table]") {
  CHECK(is_hook_setting("on_starting"));
  CHECK(is_hook_setting("post_request"));
  CHECK_FALSE(is_hook_setting("workers"));
  CHECK(find_setting("nworkers_changed")->arity == 3);
  CHECK(find_setting("pre_fork")->arity == 2);
  CHECK(find_setting("ssl_context")->arity == 2);
  std::size_t hooks = 0;
  for (const auto& spec : settings_table()) hooks += is_hook_spec(spec);
  CHECK(hooks == 20);
}

#ifdef GPP_SETTINGS_MD
#include <fstream>
#include <sstream>
TEST_CASE("docs/settings.md is up to date (run gunicornpp-docgen docs/settings.md)", "[docs]") {
  std::ifstream file(GPP_SETTINGS_MD, std::ios::binary);
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  CHECK(text.str() == settings_markdown());
}
#endif

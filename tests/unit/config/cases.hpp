#pragma once
// Table-driven test data: a valid and an invalid value for every setting,
// chosen by its validator, for the command line and for TOML.
#include <optional>
#include <string>

#include "config/setting_spec.hpp"
#include "config/validators.hpp"

namespace gpp::config::test {

namespace v = validators;

/// A flag argument the setting accepts (for flags that take a value).
inline std::string valid_cli_text(const SettingSpec& s) {
  if (s.cli_type != CliType::str) {
    if (s.validator == &v::http2_frame_size) return "32768";
    if (s.cli_type == CliType::auto_int) return "027";
    return "7";
  }
  if (s.validator == &v::pos_int) return "3";
  if (s.validator == &v::files_or_patterns) return "/etc/*.conf";
  if (s.validator == &v::string_to_list) return "SCRIPT_NAME,X_FOO";
  if (s.validator == &v::addr_list) return "10.0.0.0/8,::1";
  if (s.validator == &v::user || s.validator == &v::group) return "12345";
  if (s.name == "paste") return "/etc/passwd";
  if (s.validator == &v::chdir) return "/tmp";
  if (s.validator == &v::statsd_address) return "localhost:9125";
  if (s.validator == &v::reload_engine) return "poll";
  if (s.validator == &v::proxy_protocol) return "v2";
  if (s.validator == &v::http_protocols) return "h2,h1";
  if (s.validator == &v::http2_cleartext) return "upgrade";
  if (s.validator == &v::header_map) return "refuse";
  if (s.validator == &v::asgi_loop) return "asyncio";
  if (s.validator == &v::asgi_lifespan) return "on";
  if (s.validator == &v::http_parser) return "python";
  if (s.validator == &v::boolean) return "true";
  return "some-value";
}

/// A flag argument the setting rejects, when its argparse type or validator can reject text.
inline std::optional<std::string> invalid_cli_text(const SettingSpec& s) {
  if (s.cli_type != CliType::str) return "x1";
  if (s.validator == &v::pos_int) return "-5";
  if (s.validator == &v::files_or_patterns) return "/nonexistent/file.txt";
  if (s.validator == &v::addr_list) return "10.0.0.1/8";
  if (s.validator == &v::user || s.validator == &v::group) return "no_such_principal_zz";
  if (s.validator == &v::chdir) return "/nonexistent/dir";
  if (s.validator == &v::statsd_address) return "localhost:port";
  if (s.validator == &v::reload_engine || s.validator == &v::proxy_protocol ||
      s.validator == &v::http_protocols || s.validator == &v::http2_cleartext ||
      s.validator == &v::header_map || s.validator == &v::asgi_loop ||
      s.validator == &v::asgi_lifespan || s.validator == &v::http_parser) {
    return "bogus";
  }
  return std::nullopt;
}

/// A TOML right-hand side the setting accepts.
inline std::string valid_toml(const SettingSpec& s) {
  if (is_hook_spec(s)) return "\"mymodule.myhook\"";
  if (s.validator == &v::boolean) return "true";
  if (s.validator == &v::http2_frame_size) return "32768";
  if (s.validator == &v::pos_int || s.validator == &v::any) return "7";
  if (s.validator == &v::list_string) return "[\"a\", \"b\"]";
  if (s.validator == &v::files_or_patterns) return "[\"/etc/*.conf\"]";
  if (s.validator == &v::dict) return "{ X-SCHEME = \"https\" }";
  return "\"" + valid_cli_text(s) + "\"";
}

/// A TOML right-hand side the setting rejects (wrong type or bad value).
inline std::string invalid_toml(const SettingSpec& s) {
  if (is_hook_spec(s)) return "3";
  if (s.validator == &v::boolean) return "\"maybe\"";
  if (s.validator == &v::pos_int || s.validator == &v::http2_frame_size) return "\"abc\"";
  if (s.validator == &v::dict) return "\"not a table\"";
  if (s.validator == &v::any) return "";  // ssl_version accepts anything
  if (s.validator == &v::list_string || s.validator == &v::files_or_patterns) return "3";
  if (auto bad = invalid_cli_text(s)) return "\"" + *bad + "\"";
  return "[1, 2]";  // not a string
}

}  // namespace gpp::config::test

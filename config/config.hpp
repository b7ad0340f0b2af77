#pragma once
// The validated, immutable configuration every other folder reads.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/value.hpp"

namespace gpp::config {

/// A bad value or flag. `exit_status` is gunicorn's: 2 for the command line
/// and GUNICORN_CMD_ARGS (argparse usage error), 1 for a config file.
/// `what()` is the complete text for stderr (no trailing newline): either
/// "usage: gunicornpp [OPTIONS] [APP_MODULE]\ngunicornpp: error: ..." or one
/// "Error: ..." line.
struct ConfigError : std::runtime_error {
  ConfigError(std::string msg, int status) : std::runtime_error(std::move(msg)), exit_status(status) {}
  int exit_status;
};

class Config {
 public:
  /// Every setting at its default (env-derived defaults read from `environ`).
  Config();

  [[nodiscard]] const Value& get(std::string_view name) const;  ///< throws std::out_of_range
  [[nodiscard]] bool get_bool(std::string_view name) const;
  [[nodiscard]] std::int64_t get_int(std::string_view name) const;
  [[nodiscard]] double get_double(std::string_view name) const;
  [[nodiscard]] std::string get_string(std::string_view name) const;  ///< None -> ""
  [[nodiscard]] StringList get_list(std::string_view name) const;
  [[nodiscard]] StringMap get_map(std::string_view name) const;
  [[nodiscard]] bool is_set(std::string_view name) const;  ///< not at its default

  /// Validate and store (gunicorn's coercions apply). Throws ConfigError(status):
  /// status 2 -> an argparse usage error naming the option; otherwise one
  /// "Error: Invalid value for NAME: VALUE (SOURCE): reason" line.
  void set(std::string_view name, const Value& raw, int error_status);
  /// As above; `source` (a file path, "GUNICORN_CMD_ARGS", ...) is named in the error.
  void set(std::string_view name, const Value& raw, int error_status, std::string_view source);

  /// Framework config (gunicorn's Application.init, e.g. default_proc_name from
  /// APP_MODULE): validated and stored, and counts as the default from now on.
  void set_default(std::string_view name, const Value& raw);

  /// The value every setting had at construction (or from set_default).
  [[nodiscard]] const Value& default_of(std::string_view name) const;

  /// gunicorn's `Config.sendfile`: --no-sendfile / sendfile=False disable it,
  /// sendfile=True enables it, else $SENDFILE (y/1/yes/true) or on.
  [[nodiscard]] bool sendfile() const;
  /// gunicorn's `Config.proc_name`: proc_name, else default_proc_name.
  [[nodiscard]] std::string proc_name() const;
  /// raw_env as (KEY, VALUE) pairs. Throws ConfigError(1) on an entry without '='.
  [[nodiscard]] StringMap env() const;

  /// Positional APP_MODULE, or wsgi_app from the config file.
  std::optional<std::string> app_uri;

  /// gunicorn's derived worker class: "sync" with threads > 1 becomes "gthread".
  [[nodiscard]] std::string worker_class() const;

 private:
  std::map<std::string, Value, std::less<>> values_;
  std::map<std::string, Value, std::less<>> defaults_;
};

}  // namespace gpp::config

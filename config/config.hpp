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

  /// Validate and store (gunicorn's coercions apply). Throws ConfigError(status).
  void set(std::string_view name, const Value& raw, int error_status);

  /// Positional APP_MODULE, or wsgi_app from the config file.
  std::optional<std::string> app_uri;

  /// gunicorn's derived worker class: "sync" with threads > 1 becomes "gthread".
  [[nodiscard]] std::string worker_class() const;

 private:
  std::map<std::string, Value, std::less<>> values_;
  std::map<std::string, bool, std::less<>> explicit_;
};

}  // namespace gpp::config

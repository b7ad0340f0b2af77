#pragma once
// Values that flow from any config source (CLI, GUNICORN_CMD_ARGS, conf.py,
// TOML) into the settings table. Python objects never reach config/: a hook
// defined in gunicorn.conf.py arrives as Callable and python_shim keeps the
// real object under the setting's name.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gpp::config {

struct Callable {
  std::string repr;  ///< e.g. "<function on_starting at 0x...>" for --print-config
  int arity = -1;    ///< positional parameters it takes; -1 when unknown (builtins, *args)
  bool operator==(const Callable&) const = default;
};
using StringList = std::vector<std::string>;
using StringMap = std::vector<std::pair<std::string, std::string>>;  ///< ordered dict

/// monostate is Python's None.
using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string,
                           StringList, StringMap, Callable>;

/// One value as read from one source, before validation.
struct RawSetting {
  std::string name;   ///< setting name, e.g. "workers"
  Value value;
};
/// Values from one source in the order read; a later entry for a name wins.
struct RawSettings {
  std::string source;  ///< "command line", "GUNICORN_CMD_ARGS", or the file path
  std::vector<RawSetting> values;
};

}  // namespace gpp::config

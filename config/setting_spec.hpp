#pragma once
// One row of the settings table: everything gunicornpp knows about a setting.
// The rows live in settings_table.cpp; the CLI parser, the TOML key set,
// --print-config, --help, docs/settings.md and the table-driven tests are all
// generated from them.
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/value.hpp"

namespace gpp::config {

struct SettingSpec;

/// Thrown by a validator; `what()` is the reason, worded as gunicorn's
/// validator would word it ("Value must be positive: -1").
struct ValidationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// gunicorn's validator: coerce a raw value (from any source) into the stored
/// value, or throw ValidationError.
using Validator = Value (*)(const Value& raw, const SettingSpec& spec);
/// A default computed when Config is constructed (environment, cwd, euid).
using DefaultFn = Value (*)();

/// argparse `action` of the setting's flags.
enum class Action { store, store_true, store_const, append };

/// argparse `type` applied to a flag's text before the validator runs.
enum class CliType { str, int_, auto_int };

/// Honesty: is the behaviour behind the setting implemented yet?
enum class Support { implemented, not_yet };
inline constexpr Support kImplemented = Support::implemented;
inline constexpr Support kNotYet = Support::not_yet;

struct SettingSpec {
  std::string_view name;                 ///< setting name, e.g. "workers"
  std::string_view section;              ///< docs section, e.g. "Worker Processes"
  std::vector<std::string_view> cli{};   ///< flags, gunicorn's spellings; empty = file only
  std::string_view meta{};               ///< argparse metavar; empty = the upper-cased name
  Action action = Action::store;         ///< argparse action
  CliType cli_type = CliType::str;       ///< argparse type
  Validator validator = nullptr;         ///< gunicorn's validator
  Value default_value{};                 ///< raw default (validated at construction)
  DefaultFn default_fn = nullptr;        ///< env/process-derived default, overrides default_value
  std::string_view default_doc{};        ///< how docs/--help show the default, when not the value
  std::string_view doc{};                ///< one-paragraph description (first sentence = short)
  int arity = 0;                         ///< hooks: positional parameters expected (-1 any)
  bool optional_arg = false;             ///< argparse nargs='?' (flag alone stores `cli_const`)
  Value cli_const{};                     ///< store_const / nargs='?' constant
  std::string_view since{};              ///< gunicorn release that added it, "" = 20.1 or older
  bool ours = false;                     ///< a gunicornpp addition, not in gunicorn
  Support support = kNotYet;             ///< implemented or not yet: the last word of each row
};

/// Every setting, in declaration order (the order of --help within a section).
std::span<const SettingSpec> settings_table();
/// The row for `name`, or nullptr.
const SettingSpec* find_setting(std::string_view name);
/// Section names in docs order (gunicorn's docs sort them alphabetically).
std::vector<std::string_view> section_names();

/// True for hook settings (their value is a Python callable).
bool is_hook_spec(const SettingSpec& spec);
/// The first sentence/line of the doc, as argparse help and gunicorn's `short`.
std::string_view short_doc(const SettingSpec& spec);
/// The metavar argparse would show: meta, else the upper-cased name.
std::string metavar(const SettingSpec& spec);
/// "-w/--workers" as argparse names an option in errors.
std::string flags_label(const SettingSpec& spec);

/// Names of settings that are set away from their default but whose
/// behaviour is not implemented yet, so main() can warn once for each.
class Config;
std::vector<std::string> unsupported_settings_in_use(const Config& cfg);

}  // namespace gpp::config

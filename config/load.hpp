#pragma once
// Reading the configuration sources and applying gunicorn's precedence:
// defaults < config file < GUNICORN_CMD_ARGS < command line.
// The Python config file (gunicorn.conf.py, python:module) is executed by
// python_shim (conf_file.hpp), which returns RawSettings; everything else is here.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/value.hpp"

namespace gpp::config {

/// What one argument vector (argv or GUNICORN_CMD_ARGS) said.
struct CommandLine {
  RawSettings settings;
  std::optional<std::string> app_uri;      ///< positional APP_MODULE
  std::optional<std::string> config_path;  ///< -c/--config
  bool show_version = false;               ///< -v/--version
  bool show_help = false;                  ///< -h/--help
};

/// Parse arguments (without argv[0]). `source` names it in errors
/// ("command line" or "GUNICORN_CMD_ARGS"). Throws ConfigError(status 2)
/// with an argparse-style "usage: ... error: ..." message.
CommandLine parse_command_line(const std::vector<std::string>& args, std::string_view source);

/// shlex.split of GUNICORN_CMD_ARGS. Throws ConfigError(2) on bad quoting.
std::vector<std::string> split_shell_words(std::string_view text);

/// Keys of a TOML file are setting names. Throws ConfigError(1) naming the
/// file and key (unknown keys get a did-you-mean).
RawSettings read_toml_file(const std::string& path);

/// True when `name` is a setting that a config file may set.
bool is_setting_name(std::string_view name);
/// True for settings whose value is a Python callable (server hooks).
bool is_hook_setting(std::string_view name);

/// Apply the sources in precedence order onto the defaults.
/// Errors: file values -> ConfigError(1) "Invalid value for <name>: ..." naming the file;
/// GUNICORN_CMD_ARGS/CLI -> ConfigError(2) usage error.
Config merge_sources(const RawSettings* file, const CommandLine* env, const CommandLine& cli);

/// `--print-config` text: every setting as "name = value", gunicorn's order and
/// format, one line each, ending with '\n' (write it as is).
std::string print_config(const Config& cfg);
/// `--help` text grouped by section with defaults.
std::string help_text();
/// "gunicornpp (version 0.1.0)"
std::string version_text();

/// Executes a Python config file ("path/gunicorn.conf.py", "file:path" already
/// stripped to a path, or "python:pkg.module") and returns the module-level names
/// that are settings. Provided by python_shim; throws ConfigError(1).
using PythonConfigLoader = std::function<RawSettings(const std::string& spec)>;

/// gunicorn's choice of config file: -c on the command line, else -c in
/// GUNICORN_CMD_ARGS, else ./gunicorn.conf.py when it exists (absolute path).
std::optional<std::string> choose_config_file(const CommandLine& cli, const CommandLine* env);

/// Everything main() needs from the configuration sources.
struct Loaded {
  Config config;
  CommandLine cli;                          ///< argv as parsed
  std::optional<std::string> config_file;   ///< the config file that was read, if any
};

/// The whole pipeline as gunicorn's app/base.py: parse argv (without argv[0]),
/// GUNICORN_CMD_ARGS from the environment, choose the config file (-c on the
/// command line, else -c in GUNICORN_CMD_ARGS, else ./gunicorn.conf.py if it
/// exists), read it (TOML here, Python through `python_loader`), merge.
/// Throws ConfigError with gunicorn's exit status.
Loaded load_configuration(const std::vector<std::string>& args, const PythonConfigLoader& python_loader);

inline constexpr std::string_view kVersion = "0.1.0";
/// argparse's usage line, the first line of every usage error and of --help.
inline constexpr std::string_view kUsage = "usage: gunicornpp [OPTIONS] [APP_MODULE]";

/// Markdown of docs/settings.md, generated from the table (gunicornpp-docgen).
std::string settings_markdown();

}  // namespace gpp::config

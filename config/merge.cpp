// gunicorn's app/base.py load_config: defaults < framework (APP_MODULE)
// < config file < GUNICORN_CMD_ARGS < command line.
#include <cstdlib>
#include <filesystem>

#include "config/load.hpp"
#include "config/setting_spec.hpp"
#include "config/validators.hpp"

namespace gpp::config {
namespace {

namespace fs = std::filesystem;

/// The value a source gave for `name` last, if any.
const Value* last_value(const RawSettings& raw, std::string_view name) {
  for (auto it = raw.values.rbegin(); it != raw.values.rend(); ++it) {
    if (it->name == name) return &it->value;
  }
  return nullptr;
}

/// WSGIApplication.init: --paste or APP_MODULE name the process and the app.
void apply_framework_config(Config& cfg, const CommandLine& cli) {
  if (const Value* paste = last_value(cli.settings, "paste")) {
    const std::string uri = fs::absolute(std::get<std::string>(*paste)).lexically_normal().string();
    const std::string file = uri.substr(0, uri.find('#'));
    std::error_code ec;
    if (!fs::exists(file, ec)) throw ConfigError("Error: '" + file + "' not found", 1);
    cfg.set_default("default_proc_name", file);
    cfg.app_uri = uri;
    return;
  }
  if (cli.app_uri) {
    cfg.set_default("default_proc_name", *cli.app_uri);
    cfg.app_uri = cli.app_uri;
  }
}

/// Reads the chosen config file: TOML here, Python through the loader.
RawSettings read_config_file(const std::string& location, const PythonConfigLoader& python_loader) {
  auto python = [&](const std::string& spec) {
    if (!python_loader) throw ConfigError("Error: cannot execute Python config " + spec + ": no interpreter", 1);
    RawSettings raw = python_loader(spec);
    if (raw.source.empty()) raw.source = spec;
    return raw;
  };
  if (location.starts_with("python:")) return python(location);
  const std::string path = location.starts_with("file:") ? location.substr(5) : location;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError("Error: '" + path + "' doesn't exist", 1);
  if (path.ends_with(".toml")) return read_toml_file(path);
  return python(path);
}

}  // namespace

bool is_setting_name(std::string_view name) { return find_setting(name) != nullptr; }

bool is_hook_setting(std::string_view name) {
  const SettingSpec* spec = find_setting(name);
  return spec && is_hook_spec(*spec);
}

void Config::set_default(std::string_view name, const Value& raw) {
  set(name, raw, 1, "framework");
  defaults_.find(name)->second = get(name);
}

Config merge_sources(const RawSettings* file, const CommandLine* env, const CommandLine& cli) {
  Config cfg;
  apply_framework_config(cfg, cli);
  if (file) {
    for (const auto& [name, value] : file->values) {
      if (!is_setting_name(name)) continue;  // a conf.py may define anything
      cfg.set(name, value, 1, file->source);
    }
  }
  if (env) {
    for (const auto& [name, value] : env->settings.values) cfg.set(name, value, 2, "GUNICORN_CMD_ARGS");
  }
  for (const auto& [name, value] : cli.settings.values) cfg.set(name, value, 2, "command line");
  if (!cfg.app_uri) {
    if (const auto* wsgi_app = std::get_if<std::string>(&cfg.get("wsgi_app"))) cfg.app_uri = *wsgi_app;
  }
  return cfg;
}

std::optional<std::string> choose_config_file(const CommandLine& cli, const CommandLine* env) {
  if (cli.config_path) return cli.config_path;
  if (env && env->config_path) return env->config_path;
  std::error_code ec;
  const fs::path fallback = fs::current_path(ec) / "gunicorn.conf.py";
  if (!ec && fs::exists(fallback, ec)) return fallback.string();
  return std::nullopt;
}

Loaded load_configuration(const std::vector<std::string>& args, const PythonConfigLoader& python_loader) {
  CommandLine cli = parse_command_line(args, "command line");
  if (cli.show_help || cli.show_version) return Loaded{Config(), std::move(cli), std::nullopt};

  std::optional<CommandLine> env;
  if (const char* text = std::getenv("GUNICORN_CMD_ARGS")) {
    env = parse_command_line(split_shell_words(text), "GUNICORN_CMD_ARGS");
    if (env->show_help || env->show_version) {
      cli.show_help = env->show_help;
      cli.show_version = env->show_version;
      return Loaded{Config(), std::move(cli), std::nullopt};
    }
  }

  const CommandLine* env_ptr = env ? &*env : nullptr;
  std::optional<std::string> config_file = choose_config_file(cli, env_ptr);
  std::optional<RawSettings> file;
  if (config_file) file = read_config_file(*config_file, python_loader);

  Config cfg = merge_sources(file ? &*file : nullptr, env_ptr, cli);
  if (!cfg.app_uri) throw ConfigError("Error: No application module specified.", 1);
  return Loaded{std::move(cfg), std::move(cli), std::move(config_file)};
}

}  // namespace gpp::config

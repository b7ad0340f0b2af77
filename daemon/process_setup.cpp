#include "daemon/process_setup.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "config/setting_spec.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/interpreter.hpp"

namespace gpp::daemon {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void apply_process_settings(const config::Config& cfg) {
  // gunicorn imports from the directory it was started in as well as --chdir.
  char start_cwd[4096];
  bool have_start = ::getcwd(start_cwd, sizeof start_cwd) != nullptr;
  std::string dir = cfg.get_string("chdir");
  if (!dir.empty()) {
    if (::chdir(dir.c_str()) != 0)
      throw std::runtime_error("can't chdir to '" + dir + "': " + std::strerror(errno));
  }
  char cwd[4096];
  std::vector<std::string> paths;
  const config::Value& pp = cfg.get("pythonpath");
  if (std::holds_alternative<std::string>(pp)) paths = split_commas(std::get<std::string>(pp));
  else if (std::holds_alternative<config::StringList>(pp)) paths = std::get<config::StringList>(pp);
  if (::getcwd(cwd, sizeof cwd)) paths.emplace_back(cwd);
  if (have_start) paths.emplace_back(start_cwd);
  py::prepend_sys_path(paths);
  for (const auto& kv : cfg.get_list("raw_env")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    py::set_environ(kv.substr(0, eq), kv.substr(eq + 1));
  }
}

void warn_unsupported_settings(const config::Config& cfg) {
  for (const auto& name : config::unsupported_settings_in_use(cfg))
    core::log::warning("Setting '" + name + "' is not supported yet and is ignored (see docs/settings.md)");
}

}  // namespace gpp::daemon

#include "daemon/process_setup.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

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
  py::prepend_sys_path(paths);
  for (const auto& kv : cfg.get_list("raw_env")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    py::set_environ(kv.substr(0, eq), kv.substr(eq + 1));
  }
}

void warn_unsupported_settings(const config::Config& cfg) {
  (void)cfg;  // wired to the settings table's support column once it lands
}

}  // namespace gpp::daemon

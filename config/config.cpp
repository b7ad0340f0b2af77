#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "config/load.hpp"
#include "config/pyformat.hpp"
#include "config/setting_spec.hpp"
#include "config/validators.hpp"

namespace gpp::config {
namespace {

[[noreturn]] void wrong_type(std::string_view name, const Value& v, std::string_view wanted) {
  throw std::logic_error("setting " + std::string(name) + " holds a " + std::string(py_type_name(v)) +
                         ", not a " + std::string(wanted));
}

}  // namespace

Config::Config() {
  for (const auto& spec : settings_table()) {
    const Value raw = spec.default_fn ? spec.default_fn() : spec.default_value;
    Value stored = raw;
    // gunicorn validates a default unless it is None.
    if (!std::holds_alternative<std::monostate>(raw)) {
      try {
        stored = spec.validator(raw, spec);
      } catch (const ValidationError& e) {
        // only env-derived defaults can fail (WEB_CONCURRENCY=x, PORT, ...)
        throw ConfigError("Error: Invalid value for " + std::string(spec.name) + ": " + py_str(raw) +
                              " (environment): " + e.what(),
                          1);
      }
    }
    defaults_.emplace(std::string(spec.name), stored);
    values_.emplace(std::string(spec.name), std::move(stored));
  }
}

const Value& Config::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::out_of_range("No configuration setting for: " + std::string(name));
  return it->second;
}

const Value& Config::default_of(std::string_view name) const {
  auto it = defaults_.find(name);
  if (it == defaults_.end()) throw std::out_of_range("No configuration setting for: " + std::string(name));
  return it->second;
}

bool Config::get_bool(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (std::holds_alternative<std::monostate>(v)) return false;
  wrong_type(name, v, "bool");
}

std::int64_t Config::get_int(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  wrong_type(name, v, "int");
}

double Config::get_double(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  wrong_type(name, v, "float");
}

std::string Config::get_string(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (std::holds_alternative<std::monostate>(v)) return {};
  if (const auto* c = std::get_if<Callable>(&v)) return c->repr;
  wrong_type(name, v, "str");
}

StringList Config::get_list(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* l = std::get_if<StringList>(&v)) return *l;
  if (std::holds_alternative<std::monostate>(v)) return {};
  wrong_type(name, v, "list");
}

StringMap Config::get_map(std::string_view name) const {
  const Value& v = get(name);
  if (const auto* m = std::get_if<StringMap>(&v)) return *m;
  if (std::holds_alternative<std::monostate>(v)) return {};
  wrong_type(name, v, "dict");
}

bool Config::is_set(std::string_view name) const { return get(name) != default_of(name); }

void Config::set(std::string_view name, const Value& raw, int error_status) {
  set(name, raw, error_status, {});
}

void Config::set(std::string_view name, const Value& raw, int error_status, std::string_view source) {
  const SettingSpec* spec = find_setting(name);
  if (!spec) {
    throw ConfigError("Error: No configuration setting for: " + std::string(name), error_status);
  }
  try {
    values_.find(name)->second = spec->validator(raw, *spec);
  } catch (const ValidationError& e) {
    if (error_status == 2) {
      const std::string label = spec->cli.empty() ? std::string(spec->name) : flags_label(*spec);
      throw ConfigError(std::string(kUsage) + "\ngunicornpp: error: argument " + label + ": " + e.what(), 2);
    }
    std::string msg = "Error: Invalid value for " + std::string(name) + ": " + py_str(raw);
    if (!source.empty()) msg += " (" + std::string(source) + ")";
    throw ConfigError(msg + ": " + e.what(), error_status);
  }
}

std::string Config::worker_class() const {
  const Value& v = get("worker_class");
  if (const auto* c = std::get_if<Callable>(&v)) return c->repr;
  std::string uri = get_string("worker_class");
  if (uri.starts_with("egg:gunicorn#")) uri = uri.substr(13);
  const bool is_sync = uri == "sync" || (uri.size() >= 10 && uri.ends_with("SyncWorker"));
  if (is_sync) return get_int("threads") > 1 ? "gthread" : "sync";
  if (uri == "gunicorn.workers.gthread.ThreadWorker") return "gthread";
  // gunicorn's gevent classes run on the coro worker (drop-in configs).
  if (uri == "gevent" || uri == "gevent_wsgi" || uri == "gevent_pywsgi" ||
      uri == "gunicorn.workers.ggevent.GeventWorker" || uri == "gunicorn.workers.ggevent.GeventPyWSGIWorker")
    return "coro";
  return uri;
}

bool Config::sendfile() const {
  const Value& v = get("sendfile");
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const char* env = std::getenv("SENDFILE")) {
    std::string s(env);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s == "y" || s == "1" || s == "yes" || s == "true";
  }
  return true;
}

std::string Config::proc_name() const {
  const Value& v = get("proc_name");
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return get_string("default_proc_name");
}

StringMap Config::env() const {
  StringMap out;
  for (const auto& entry : get_list("raw_env")) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) {
      throw ConfigError("Error: environment setting " + py_repr_string(entry) + " invalid", 1);
    }
    out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

}  // namespace gpp::config

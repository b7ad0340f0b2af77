#include "python_shim/conf_file.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cstdio>
#include <map>

#include "config/config.hpp"
#include "config/load.hpp"
#include "python_shim/hooks_private.hpp"
#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {

std::map<std::string, pyb::object>& hooks() {
  static auto* h = new std::map<std::string, pyb::object>();  // lives until exit
  return *h;
}

std::string str_of(pyb::handle o) { return pyb::str(o).cast<std::string>(); }

/// A Python value as the settings table sees it (validators coerce further).
config::Value to_value(pyb::handle o) {
  if (o.is_none()) return std::monostate{};
  if (PyBool_Check(o.ptr())) return o.cast<bool>();
  if (PyLong_Check(o.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
    if (overflow == 0) return static_cast<std::int64_t>(v);
    return str_of(o);
  }
  if (PyFloat_Check(o.ptr())) return o.cast<double>();
  if (PyUnicode_Check(o.ptr())) return o.cast<std::string>();
  if (PyList_Check(o.ptr()) || PyTuple_Check(o.ptr())) {
    config::StringList list;
    for (auto item : pyb::reinterpret_borrow<pyb::sequence>(o)) list.push_back(str_of(item));
    return list;
  }
  if (PyDict_Check(o.ptr())) {
    config::StringMap map;
    for (auto [k, v] : pyb::reinterpret_borrow<pyb::dict>(o)) map.emplace_back(str_of(k), str_of(v));
    return map;
  }
  if (PyCallable_Check(o.ptr())) {
    int arity = support().attr("arity")(o).cast<int>();
    return config::Callable{pyb::repr(o).cast<std::string>(), arity};
  }
  return str_of(o);
}

}  // namespace

config::RawSettings load_python_config(const std::string& spec) {
  pyb::gil_scoped_acquire gil;
  config::RawSettings out;
  out.source = spec.rfind("file:", 0) == 0 ? spec.substr(5) : spec;
  pyb::dict ns;
  try {
    ns = support().attr("exec_config")(spec);
  } catch (pyb::error_already_set& e) {
    std::string tb = format_current_exception(e);
    std::fprintf(stderr, "Failed to read config file: %s\n%s\n", out.source.c_str(), tb.c_str());
    std::fflush(stderr);
    throw config::ConfigError("Failed to read config file: " + out.source, 1);
  }
  std::map<std::string, pyb::object> fresh;  // a HUP drops hooks the file no longer defines
  for (auto [key, value] : ns) {
    std::string name = str_of(key);
    if (!config::is_setting_name(name)) continue;  // unknown names are ignored, as gunicorn
    config::Value v = to_value(value);
    if (std::holds_alternative<config::Callable>(v) || name == "logconfig_dict")  // nested dicts: keep the object
      fresh[name] = pyb::reinterpret_borrow<pyb::object>(value);
    out.values.push_back({name, std::move(v)});
  }
  hooks().swap(fresh);
  return out;
}

pyb::object config_hook(const std::string& name) {
  auto it = hooks().find(name);
  return it == hooks().end() ? pyb::object() : it->second;
}

bool has_hook(const std::string& name) {
  return hooks().count(name) != 0;
}

}  // namespace gpp::py

// Server hooks, master side: the `_gunicornpp_hooks` module (hooks.py), the
// configuration it exposes as server.cfg, and the hooks the arbiter calls.
// Worker-side hooks and pre/post_request are in hooks_worker.cpp.
#include "python_shim/hooks.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include "config/setting_spec.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/hooks_private.hpp"
#include "python_shim/hooks_py.inc"
#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {

pyb::module_* g_module = nullptr;
bool g_request_hooks = false;

/// A setting's value as Python sees it in gunicorn's cfg.
pyb::object to_python(const config::Value& v) {
  return std::visit(
      [](const auto& x) -> pyb::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return pyb::none();
        } else if constexpr (std::is_same_v<T, bool>) {
          return pyb::bool_(x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return pyb::int_(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return pyb::float_(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return pyb::str(x);
        } else if constexpr (std::is_same_v<T, config::StringList>) {
          pyb::list out;
          for (const auto& s : x) out.append(pyb::str(s));
          return out;
        } else if constexpr (std::is_same_v<T, config::StringMap>) {
          pyb::dict out;
          for (const auto& [k, val] : x) out[pyb::str(k)] = pyb::str(val);
          return out;
        } else {
          return pyb::none();  // hooks are looked up by name in hooks.py
        }
      },
      v);
}

}  // namespace

pyb::module_& hooks_module() {
  if (!g_module) {
    pyb::object code = pyb::reinterpret_steal<pyb::object>(
        Py_CompileString(kHooksPy, "<gunicornpp hooks.py>", Py_file_input));
    if (!code) throw pyb::error_already_set();
    pyb::object mod = pyb::reinterpret_steal<pyb::object>(
        PyImport_ExecCodeModule("_gunicornpp_hooks", code.ptr()));
    if (!mod) throw pyb::error_already_set();
    g_module = new pyb::module_(pyb::reinterpret_borrow<pyb::module_>(mod));  // lives until exit
    g_module->attr("_log_write") = pyb::cpp_function([](int level, const std::string& message) {
      core::log::write(static_cast<core::log::Level>(level), message);
    });
    g_module->attr("_reopen") = pyb::cpp_function([]() { core::log::reopen(); });
  }
  return *g_module;
}

void log_hook_exception(const std::string& what, pyb::error_already_set& e, bool warning) {
  std::string text = what + "\n" + format_current_exception(e);
  if (warning) core::log::warning(text);
  else core::log::error(text);
}

void hooks_configure(const config::Config& cfg) {
  pyb::gil_scoped_acquire gil;
  try {
    pyb::dict values;
    pyb::dict hooks;
    for (const config::SettingSpec& spec : config::settings_table()) {
      pyb::str name(std::string(spec.name));
      if (config::is_hook_spec(spec)) {
        pyb::object callable = config_hook(std::string(spec.name));
        if (callable) hooks[name] = callable;
        values[name] = pyb::none();
        continue;
      }
      values[name] = to_python(cfg.get(spec.name));
    }
    pyb::dict extras;
    extras["proc_name"] = pyb::str(cfg.proc_name());
    extras["worker_class_str"] = pyb::str(cfg.worker_class());
    extras["address"] = to_python(cfg.get("bind"));
    extras["uid"] = to_python(cfg.get("user"));
    extras["gid"] = to_python(cfg.get("group"));
    extras["sendfile"] = pyb::bool_(cfg.sendfile());
    extras["is_ssl"] = pyb::bool_(!cfg.get_string("certfile").empty() || !cfg.get_string("keyfile").empty());
    pyb::dict env;
    try {
      for (const auto& [k, v] : cfg.env()) env[pyb::str(k)] = pyb::str(v);
    } catch (const std::exception&) {
      // a malformed raw_env entry was reported when the config loaded
    }
    extras["env"] = env;
    hooks_module().attr("configure")(values, extras, hooks);
    g_request_hooks = hooks.contains("pre_request") || hooks.contains("post_request");
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception while publishing the configuration to hooks", e, false);
  }
}

void hooks_update_server(const ServerView& view) {
  pyb::gil_scoped_acquire gil;
  pyb::object server = hooks_module().attr("SERVER");
  server.attr("pid") = view.pid;
  server.attr("num_workers") = view.num_workers;
  server.attr("worker_age") = view.worker_age;
  server.attr("master_name") = view.master_name;
  server.attr("proc_name") = view.proc_name;
  server.attr("pidfile") = view.pidfile.empty() ? pyb::object(pyb::none()) : pyb::object(pyb::str(view.pidfile));
  pyb::list listeners;
  for (const auto& [url, fd] : view.listeners) listeners.append(pyb::make_tuple(url, fd));
  hooks_module().attr("set_listeners")(listeners);
}

bool hook_defined(const std::string& name) {
  if (!g_module) return false;
  pyb::gil_scoped_acquire gil;
  return hooks_module().attr("has_hook")(name).cast<bool>();
}

bool request_hooks_defined() noexcept { return g_request_hooks; }

bool call_hook_logged(const std::string& name, const pyb::args& args) {
  try {
    hooks_module().attr("call")(name, *args);
    return true;
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception in " + name + " hook", e, false);
    return false;
  }
}

void call_server_hook(const std::string& name) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  call_hook_logged(name, pyb::make_tuple(hooks_module().attr("SERVER")));
}

void call_nworkers_changed(int new_value, std::optional<int> old_value) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  pyb::object old = old_value ? pyb::object(pyb::int_(*old_value)) : pyb::object(pyb::none());
  call_hook_logged("nworkers_changed", pyb::make_tuple(hooks_module().attr("SERVER"), new_value, old));
}

void hooks_pre_fork(int age) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  try {
    pyb::object worker = hooks_module().attr("new_worker")(age, ::getpid());
    call_hook_logged("pre_fork", pyb::make_tuple(hooks_module().attr("SERVER"), worker));
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception in pre_fork hook", e, false);
  }
}

void hooks_forked_parent(int age, pid_t pid) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  hooks_module().attr("forked_parent")(age, pid);
}

void hooks_fork_failed(int age) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  hooks_module().attr("fork_failed")(age);
}

void hooks_child_exited(pid_t pid, bool call_hook) {
  if (!g_module) return;
  pyb::gil_scoped_acquire gil;
  pyb::object worker = hooks_module().attr("pop_worker")(pid);
  if (!call_hook || worker.is_none()) return;
  call_hook_logged("child_exit", pyb::make_tuple(hooks_module().attr("SERVER"), worker));
}

}  // namespace gpp::py

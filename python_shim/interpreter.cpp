#include "python_shim/interpreter.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

std::string python_executable() {
  const char* venv = std::getenv("VIRTUAL_ENV");
  if (venv && *venv) return std::string(venv) + "/bin/python";
  // A binary installed in a venv's bin/ (next to its python) runs in that venv,
  // as a console script would.
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path bin = self.parent_path();
    if (std::filesystem::exists(bin.parent_path() / "pyvenv.cfg", ec) &&
        std::filesystem::exists(bin / "python", ec))
      return (bin / "python").string();
  }
  return "/usr/bin/python3";
}

bool initialized() noexcept { return Py_IsInitialized() != 0; }

void initialize(const std::vector<std::string>& argv) {
  if (initialized()) return;
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // the arbiter and workers own signals
  config.parse_argv = 0;
  config.safe_path = 1;                // sys.path[0] is not the binary's dir
  std::string exe = python_executable();
  PyStatus status = PyConfig_SetBytesString(&config, &config.executable, exe.c_str());
  if (!PyStatus_Exception(status)) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    status = PyConfig_SetBytesArgv(&config, static_cast<Py_ssize_t>(args.size()), args.data());
  }
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    throw std::runtime_error(std::string("cannot initialise Python: ") +
                             (status.err_msg ? status.err_msg : "unknown error"));
  }
  register_support_module();
}

void prepend_sys_path(const std::vector<std::string>& dirs) {
  pyb::gil_scoped_acquire gil;
  pyb::list path = pyb::module_::import("sys").attr("path");
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    pyb::str d(*it);
    if (!path.contains(d)) path.insert(0, d);
  }
}

void set_environ(const std::string& key, const std::string& value) {
  ::setenv(key.c_str(), value.c_str(), 1);
  if (!initialized()) return;
  pyb::gil_scoped_acquire gil;
  pyb::module_::import("os").attr("environ")[pyb::str(key)] = pyb::str(value);
}

void unset_environ(const std::string& key) {
  ::unsetenv(key.c_str());
  if (!initialized()) return;
  pyb::gil_scoped_acquire gil;
  pyb::object env = pyb::module_::import("os").attr("environ");
  if (env.contains(pyb::str(key))) env.attr("pop")(pyb::str(key));
}

void before_fork() { if (initialized()) PyOS_BeforeFork(); }
void after_fork_parent() { if (initialized()) PyOS_AfterFork_Parent(); }
void after_fork_child() { if (initialized()) PyOS_AfterFork_Child(); }

void run_exit_handlers() {
  if (!initialized()) return;
  pyb::gil_scoped_acquire gil;
  try {
    support().attr("run_exit_handlers")();
  } catch (const pyb::error_already_set&) {
    PyErr_Clear();
  }
}

GilRelease::GilRelease() {
  if (initialized() && PyGILState_Check()) state_ = PyEval_SaveThread();
}

GilRelease::~GilRelease() {
  if (state_) PyEval_RestoreThread(static_cast<PyThreadState*>(state_));
}

}  // namespace gpp::py

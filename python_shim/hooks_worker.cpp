// Server hooks, worker side: this process's `worker` object, the boot and
// exit hooks, worker_int/worker_abort, and pre_request/post_request.
#include <Python.h>
#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include <unistd.h>

#include <climits>
#include <cstring>

#include "config/config.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/hooks_private.hpp"
#include "python_shim/support_module.hpp"

extern "C" const char* _Py_DumpTracebackThreads(int fd, PyInterpreterState* interp, PyThreadState* current_tstate);

namespace gpp::py {
namespace pyb = pybind11;

namespace {

pyb::object current_worker() { return hooks_module().attr("CURRENT"); }

pyb::str latin1(std::string_view s) {
  return pyb::reinterpret_steal<pyb::str>(
      PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr));
}

/// A worker boot hook: an exception is gunicorn's "Exception in worker process".
bool call_boot_hook(const std::string& name, const pyb::args& args) {
  try {
    hooks_module().attr("call")(name, *args);
    return true;
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception in worker process", e, false);
    return false;
  }
}

}  // namespace

void hooks_forked_child(int age, pid_t pid) {
  pyb::gil_scoped_acquire gil;
  hooks_module().attr("forked_child")(age, pid);
}

void hooks_bind_worker(std::function<bool()> alive, std::function<void()> stop,
                       std::function<void()> notify) {
  pyb::gil_scoped_acquire gil;
  pyb::object worker = current_worker();
  if (worker.is_none()) return;
  worker.attr("_alive_fn") = pyb::cpp_function([alive]() { return alive(); });
  worker.attr("_stop_fn") = pyb::cpp_function([stop]() { stop(); });
  worker.attr("_notify_fn") = pyb::cpp_function([notify]() {
    pyb::gil_scoped_release nogil;
    notify();
  });
}

bool call_post_fork() {
  pyb::gil_scoped_acquire gil;
  pyb::object worker = current_worker();
  if (worker.is_none()) return true;
  return call_boot_hook("post_fork", pyb::make_tuple(hooks_module().attr("SERVER"), worker));
}

bool call_post_worker_init() {
  pyb::gil_scoped_acquire gil;
  pyb::object worker = current_worker();
  if (worker.is_none()) return true;
  bool ok = call_boot_hook("post_worker_init", pyb::make_tuple(worker));
  worker.attr("booted") = ok;
  return ok;
}

void call_worker_hook(const std::string& name) {
  pyb::gil_scoped_acquire gil;
  pyb::object worker = current_worker();
  if (worker.is_none()) return;
  if (name == "worker_abort") worker.attr("aborted") = true;
  call_hook_logged(name, pyb::make_tuple(worker));
}

void call_worker_exit() {
  pyb::gil_scoped_acquire gil;
  pyb::object worker = current_worker();
  if (worker.is_none()) return;
  try {
    hooks_module().attr("call")("worker_exit", hooks_module().attr("SERVER"), worker);
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception during worker exit:", e, true);
  }
}

std::string main_thread_stack() {
  pyb::gil_scoped_acquire gil;
  try {
    return hooks_module().attr("main_thread_stack")().cast<std::string>();
  } catch (pyb::error_already_set&) {
    return "";
  }
}

void dump_thread_stacks_signal_safe(int fd) noexcept {
  // The function behind faulthandler's dumps (exported, declared in CPython's
  // internal pycore_traceback.h; same signature 3.8 through 3.13).
  // faulthandler.register() itself refuses SIGABRT, the arbiter's signal.
  if (!Py_IsInitialized()) return;
  const char* err = _Py_DumpTracebackThreads(fd, nullptr, nullptr);
  if (err) {
    [[maybe_unused]] ssize_t n = ::write(fd, err, std::strlen(err));
    n = ::write(fd, "\n", 1);
  }
}

std::vector<std::string> reload_watch_files(const std::vector<std::string>& extra) {
  pyb::gil_scoped_acquire gil;
  try {
    pyb::list patterns;
    for (const auto& e : extra) patterns.append(pyb::str(e));
    return hooks_module().attr("reload_watch_files")(patterns).cast<std::vector<std::string>>();
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception while listing the modules to watch", e, false);
    return {};
  }
}

// ---- pre_request / post_request ----

void RequestHooks::pre_request(const RequestContext& ctx) {
  if (!request_hooks_defined()) return;
  pyb::object worker = current_worker();
  if (worker.is_none()) return;
  const core::http::RequestHead& head = *ctx.head;
  pyb::list headers;
  for (const auto& h : head.headers) {
    std::string name(h.name);
    for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    headers.append(pyb::make_tuple(latin1(name), latin1(h.value)));
  }
  long nr = worker.attr("nr").cast<long>() + 1;  // counted after pre_request, as gunicorn
  pyb::object peer = ctx.remote_port >= 0
                         ? pyb::object(pyb::make_tuple(pyb::str(ctx.remote_addr), ctx.remote_port))
                         : pyb::object(pyb::str(ctx.remote_addr));
  req_ = hooks_module().attr("Request")(
      latin1(head.method), latin1(head.target), latin1(head.path), latin1(head.query),
      latin1(head.fragment), pyb::make_tuple(head.version_major, head.version_minor), headers,
      pyb::str(std::string(ctx.url_scheme)), peer, nr);
  environ_ = pyb::dict();
  hooks_module().attr("call")("pre_request", worker, req_);
  worker.attr("nr") = nr;
}

void RequestHooks::set_environ(PyObject* environ) {
  if (req_ && environ) environ_ = pyb::reinterpret_borrow<pyb::object>(environ);
}

void RequestHooks::post_request(const core::ResponseFramer& framer) {
  if (!req_) return;
  try {
    pyb::list headers;
    for (const auto& [name, value] : framer.headers())
      headers.append(pyb::make_tuple(latin1(name), latin1(value)));
    pyb::object length = pyb::none();
    if (framer.content_length()) length = pyb::int_(*framer.content_length());
    std::string status(framer.status());
    pyb::object resp = hooks_module().attr("Response")(
        req_, status.empty() ? pyb::object(pyb::none()) : pyb::object(pyb::str(status)),
        framer.status_code() ? pyb::object(pyb::int_(framer.status_code())) : pyb::object(pyb::none()),
        headers, pyb::int_(framer.body_bytes_sent()), length, framer.chunked(), framer.head_sent(),
        pyb::str("HTTP/1.1"));
    hooks_module().attr("call")("post_request", current_worker(), req_, environ_, resp);
  } catch (pyb::error_already_set& e) {
    log_hook_exception("Exception in post_request hook", e, false);
  }
  req_ = pyb::object();
  environ_ = pyb::object();
}

}  // namespace gpp::py

#pragma once
// Python state for C++-created threads (the gthread pool) and stack dumps of
// a running request (request_timeout). No Python types in this header.
#include <string>

namespace gpp::py {

/// Gives the calling C++ thread a Python thread state for its whole life, so
/// each WsgiApp::call on it reuses that state (threading.local values survive
/// between requests, and no state is created per request). The GIL is not
/// held between the constructor and the destructor. No-op without Python.
class PythonThread {
 public:
  PythonThread();
  ~PythonThread();
  PythonThread(const PythonThread&) = delete;
  PythonThread& operator=(const PythonThread&) = delete;

 private:
  void* saved_ = nullptr;
  int gil_state_ = 0;
  bool active_ = false;
};

/// Holds the GIL for its lifetime on a thread that has a PythonThread (or is
/// the main thread). WsgiApp::call inside it does not hand the GIL over, so a
/// pool thread can run several queued requests in one GIL hold; other Python
/// threads still get it at the interpreter's switch interval and whenever
/// the app blocks. No-op without Python.
class GilHold {
 public:
  GilHold();
  ~GilHold();
  GilHold(const GilHold&) = delete;
  GilHold& operator=(const GilHold&) = delete;

 private:
  int state_ = -1;
};

/// threading.get_ident() of the calling thread (no GIL needed).
[[nodiscard]] unsigned long current_thread_ident() noexcept;

/// The Python stack of thread `ident` in traceback format ("Traceback (most
/// recent call last):" and one "File ..., line N, in f" entry per frame,
/// innermost last), or "" when that thread runs no Python. Takes the GIL:
/// call it from a thread that may block (never the I/O loop).
[[nodiscard]] std::string format_thread_stack(unsigned long ident);

}  // namespace gpp::py

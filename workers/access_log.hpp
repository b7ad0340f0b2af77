#pragma once
// The access log and request metrics, written from C++ after each request
// (gunicorn's Logger.access / Statsd.access) without entering Python. Every
// worker class calls log_access() once per request; configure_logging() runs
// once in the arbiter before workers fork (they inherit the open files).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/response_framer.hpp"
#include "python_shim/wsgi_app.hpp"

namespace gpp::workers {

struct AccessRecord {
  /// The request as the app saw it (head, listener, peer, scheme, PROXY info).
  const py::RequestContext* request = nullptr;
  /// What the app answered (status, headers, body bytes sent).
  const core::ResponseFramer* response = nullptr;
  /// Set when the worker answered by itself instead (an app error before the
  /// head went out: "500 Internal Server Error"). The line is then gunicorn's
  /// handle_error one: no PATH_INFO or HTTP_* in the environ atoms, b = 0.
  std::string_view error_status;
  /// When the request was handed to the app (gunicorn's request_start).
  std::chrono::steady_clock::time_point start;
};

/// Configure the access log (accesslog, access_log_format), statsd
/// (statsd_host, statsd_prefix, dogstatsd_tags) and capture_output from the
/// settings. Problems are logged to the error log; returns false when a file
/// cannot be opened (gunicorn refuses to start then).
bool configure_logging(const config::Config& cfg);

/// Log one request: an access-log line when the access log is on, the
/// statsd request metrics when statsd is on, and the shared-memory counters
/// when --metrics-bind is set. Cheap when all are off.
void log_access(const AccessRecord& record);

/// The {var}e keys of access_log_format that only the app's environ can
/// answer (REMOTE_USER, myapp.user_id, HTTP_X_ADDED_BY_MIDDLEWARE...), for
/// RequestContext::log_environ_keys; nullptr when there are none or the
/// access log is off, so that no Python is entered for the log.
const std::vector<std::string>* app_environ_keys();

/// "gunicorn.workers" gauge (the arbiter calls it when the count changes).
void report_worker_count(long count);

}  // namespace gpp::workers

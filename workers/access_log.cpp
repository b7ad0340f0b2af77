#include "workers/access_log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "core/log/access_log.hpp"
#include "core/log/access_log_format.hpp"
#include "core/log/error_log.hpp"
#include "core/log/statsd.hpp"
#include "workers/request_metrics.hpp"

namespace gpp::workers {
namespace {

using core::log::AccessLogFormat;

/// Set once in the arbiter before fork; read-only afterwards.
std::optional<AccessLogFormat>& compiled_format() {
  static std::optional<AccessLogFormat> f;
  return f;
}

/// {var}e keys read back from the app's environ (see app_environ_keys()).
std::vector<std::string>& app_keys() {
  static std::vector<std::string> keys;
  return keys;
}

/// Keys whose value the C++ side knows without asking Python (environ_value
/// below); HTTP_* are not among them, as middleware often adds some.
bool server_computed(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "request_method", "query_string", "raw_uri",     "server_protocol", "server_software",
      "remote_addr",    "remote_port",  "wsgi.url_scheme", "server_name", "server_port",
      "script_name",    "path_info",    "content_type", "content_length", "proxy_protocol",
      "proxy_addr",     "proxy_port"};
  for (std::string_view k : kKeys)
    if (k == key) return true;
  return false;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

/// "Content-Type" matches environ key "http_content_type" / "content_type".
bool header_matches_key(std::string_view name, std::string_view key) {
  if (name.size() != key.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i] == '-' ? '_' : lower(name[i]);
    if (c != key[i]) return false;
  }
  return true;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void append_unquoted(std::string& out, std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && hexval(path[i + 1]) >= 0 && hexval(path[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(path[i + 1]) * 16 + hexval(path[i + 2])));
      i += 2;
    } else {
      out.push_back(path[i]);
    }
  }
}

std::string protocol_of(const core::http::RequestHead& h) {
  return "HTTP/" + std::to_string(h.version_major) + "." + std::to_string(h.version_minor);
}

std::string script_name_of(const core::http::RequestHead& h) {
  if (const auto* sn = h.find("SCRIPT_NAME")) return std::string(sn->value);
  const char* env = std::getenv("SCRIPT_NAME");
  return env ? env : "";
}

/// The environ keys the C++ side knows (lower-cased), as gunicorn's
/// wsgi.create() (full) or default_environ() (error path) sets them. Other
/// {var}e keys are read back from the app's environ (rc.log_environ).
bool environ_value(const AccessRecord& rec, bool full, std::string_view key, std::string& out) {
  const py::RequestContext& rc = *rec.request;
  const core::http::RequestHead& h = *rc.head;
  bool proxied = full && rc.proxy && rc.proxy->has_addresses();
  if (key == "request_method") out += h.method;
  else if (key == "query_string") out += h.query;
  else if (key == "raw_uri") out += h.target;
  else if (key == "server_protocol") out += protocol_of(h);
  else if (key == "server_software") out += "gunicornpp/0.1.0";
  else if (key == "remote_addr") out += proxied ? rc.proxy->src_addr : rc.remote_addr;
  else if (key == "remote_port") {
    if (proxied) out += std::to_string(rc.proxy->src_port);
    else if (!full || rc.remote_port >= 0) out += std::to_string(rc.remote_port);
    else return false;
  } else if (!full) return false;
  else if (key == "wsgi.url_scheme") out += rc.url_scheme;
  else if (key == "server_name" && !rc.server->unix_socket) out += rc.server->name;
  else if (key == "server_port" && !rc.server->unix_socket) out += rc.server->port;
  else if (key == "script_name") out += script_name_of(h);
  else if (key == "path_info") {
    std::string sn = script_name_of(h);
    std::string_view path = h.path;
    if (path.substr(0, sn.size()) == sn) path.remove_prefix(sn.size());
    append_unquoted(out, path);
  } else if (key == "content_type" || key == "content_length") {
    for (const auto& hdr : h.headers)
      if (header_matches_key(hdr.name, key)) { out += hdr.value; return true; }
    return false;
  } else if (key.substr(0, 5) == "http_") {
    bool found = false;
    for (const auto& hdr : h.headers) {
      if (!header_matches_key(hdr.name, key.substr(5))) continue;
      if (key == "http_content_type" || key == "http_content_length") return false;
      if (found) out += ',';
      out += hdr.value;
      found = true;
    }
    return found;
  } else if (rc.proxy && key == "proxy_protocol") out += rc.proxy->protocol();
  else if (proxied && key == "proxy_addr") out += rc.proxy->dst_addr;
  else if (proxied && key == "proxy_port") out += std::to_string(rc.proxy->dst_port);
  else return false;
  return true;
}

void write_access_line(const AccessRecord& rec, std::int64_t us) {
  const py::RequestContext& rc = *rec.request;
  const core::http::RequestHead& h = *rc.head;
  bool full = rec.error_status.empty() && rec.response;
  std::string protocol = protocol_of(h);
  std::string path_info;
  core::log::AccessInfo info;
  std::string remote;
  if (full && rc.proxy && rc.proxy->has_addresses()) remote = rc.proxy->src_addr;
  else remote = rc.remote_addr;
  info.remote_addr = remote;
  info.method = h.method;
  info.raw_uri = h.target;
  info.protocol = protocol;
  if (full) {
    environ_value(rec, true, "path_info", path_info);
    info.path_info = path_info;
  }
  info.query = h.query;
  info.status = full ? rec.response->status() : rec.error_status;
  info.body_bytes = full ? rec.response->body_bytes_sent() : 0;
  info.request_headers = &h.headers;
  info.response_headers = full ? &rec.response->headers() : nullptr;
  info.duration_us = us;
  info.now = std::time(nullptr);
  info.pid = static_cast<long>(::getpid());
  info.environ = [&rec, full](std::string_view key, std::string& out) {
    return environ_value(rec, full, key, out);
  };
  // gunicorn's error path logs a fresh default environ: no app keys there.
  if (full && rc.log_environ_keys) info.app_environ = &rc.log_environ;
  std::string line;
  line.reserve(256);
  if (compiled_format()->render(info, line)) core::log::access::write_line(line);
}

}  // namespace

bool configure_logging(const config::Config& cfg) {
  bool ok = true;
  std::string accesslog = cfg.get_string("accesslog");
  std::string error;
  compiled_format() = AccessLogFormat::compile(cfg.get_string("access_log_format"), &error);
  if (!compiled_format())
    core::log::error("Invalid access_log_format: " + error + "; no access log will be written");
  app_keys().clear();
  if (compiled_format()) {
    for (auto& key : compiled_format()->environ_keys())
      if (!server_computed(key)) app_keys().push_back(std::move(key));
  }
  if (accesslog.empty()) {
    core::log::access::disable();
  } else if (!core::log::access::configure(accesslog)) {
    core::log::error("Error: '" + accesslog + "' isn't writable");
    ok = false;
  }
  std::string statsd = cfg.get_string("statsd_host");
  if (!statsd.empty()) {
    core::log::statsd::configure(statsd, cfg.get_string("statsd_prefix"), cfg.get_string("dogstatsd_tags"));
  } else {
    core::log::statsd::disable();
  }
  if (cfg.get_bool("capture_output")) core::log::capture_output();
  return ok;
}

void log_access(const AccessRecord& rec) {
  bool access = core::log::access::enabled() && compiled_format();
  bool statsd = core::log::statsd::enabled();
  bool metrics = request_metrics::enabled();
  if (!access && !statsd && !metrics) return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - rec.start)
                .count();
  if (access) write_access_line(rec, us);
  if (!statsd && !metrics) return;
  // The worker's own 500 page (error_status) is always "500 ...".
  int status = rec.error_status.empty() ? (rec.response ? rec.response->status_code() : 0) : 500;
  request_metrics::count(status, us);
  if (statsd) {
    core::log::statsd::timer_us("gunicorn.request.duration", us);
    core::log::statsd::increment("gunicorn.requests");
    if (status > 0) core::log::statsd::increment("gunicorn.request.status." + std::to_string(status));
  }
}

const std::vector<std::string>* app_environ_keys() {
  if (app_keys().empty() || !core::log::access::enabled()) return nullptr;
  return &app_keys();
}

void report_worker_count(long count) { core::log::statsd::gauge("gunicorn.workers", count); }

}  // namespace gpp::workers

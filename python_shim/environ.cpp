#include "python_shim/environ.hpp"

#include <Python.h>

#include <cstdlib>
#include <string_view>

namespace gpp::py {
namespace pyb = pybind11;

namespace {

pyb::str latin1(std::string_view s) {
  PyObject* o = PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
  if (!o) throw pyb::error_already_set();
  return pyb::reinterpret_steal<pyb::str>(o);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// "Content-Type" -> "CONTENT_TYPE"-style environ key with prefix.
std::string environ_key(std::string_view prefix, std::string_view name) {
  std::string key(prefix);
  key.reserve(prefix.size() + name.size());
  for (char c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    else if (c == '-') c = '_';
    key.push_back(c);
  }
  return key;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

pyb::str unquote_to_wsgi_str(std::string_view path) {
  if (path.find('%') == std::string_view::npos) return latin1(path);
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      int hi = hexval(path[i + 1]), lo = hexval(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(path[i]);
  }
  return latin1(out);
}

pyb::dict base_environ(const ServerInfo& server) {
  pyb::dict env;
  pyb::module_ sys = pyb::module_::import("sys");
  env["wsgi.errors"] = sys.attr("stderr");
  env["wsgi.version"] = pyb::make_tuple(1, 0);
  env["wsgi.multithread"] = pyb::bool_(server.multithread);
  env["wsgi.multiprocess"] = pyb::bool_(server.multiprocess);
  env["wsgi.run_once"] = pyb::bool_(false);
  env["wsgi.input_terminated"] = pyb::bool_(true);
  env["SERVER_SOFTWARE"] = "gunicornpp/0.1.0";
  return env;
}

void fill_environ(pyb::dict& env, const RequestContext& ctx, const std::string& default_script_name) {
  const auto& h = *ctx.head;
  env["REQUEST_METHOD"] = latin1(h.method);
  env["QUERY_STRING"] = latin1(h.query);
  env["RAW_URI"] = latin1(h.target);
  env["SERVER_PROTOCOL"] = h.version_major == 1 && h.version_minor == 1 ? pyb::str("HTTP/1.1")
                           : h.version_major == 1 && h.version_minor == 0
                               ? pyb::str("HTTP/1.0")
                               : pyb::str("HTTP/" + std::to_string(h.version_major) + "." +
                                          std::to_string(h.version_minor));
  std::string_view host;
  std::string script_name = default_script_name;
  for (const auto& hdr : h.headers) {
    if (iequals(hdr.name, "HOST")) {
      host = hdr.value;
    } else if (iequals(hdr.name, "SCRIPT_NAME")) {
      script_name.assign(hdr.value);
    } else if (iequals(hdr.name, "CONTENT-TYPE")) {
      env["CONTENT_TYPE"] = latin1(hdr.value);
      continue;
    } else if (iequals(hdr.name, "CONTENT-LENGTH")) {
      env["CONTENT_LENGTH"] = latin1(hdr.value);
      continue;
    }
    pyb::str key(environ_key("HTTP_", hdr.name));
    PyObject* prev = PyDict_GetItem(env.ptr(), key.ptr());
    if (prev) {
      std::string joined = pyb::handle(prev).cast<std::string>();
      joined += ',';
      joined.append(hdr.value);
      env[key] = latin1(joined);
    } else {
      env[key] = latin1(hdr.value);
    }
  }
  env["wsgi.url_scheme"] = pyb::str(std::string(ctx.url_scheme));
  env["REMOTE_ADDR"] = pyb::str(ctx.remote_addr);
  if (ctx.remote_port >= 0) env["REMOTE_PORT"] = pyb::str(std::to_string(ctx.remote_port));

  if (!ctx.server->unix_socket) {
    env["SERVER_NAME"] = pyb::str(ctx.server->name);
    env["SERVER_PORT"] = pyb::str(ctx.server->port);
  } else if (!host.empty()) {
    auto colon = host.find(':');
    env["SERVER_NAME"] = latin1(host.substr(0, colon));
    if (colon != std::string_view::npos) env["SERVER_PORT"] = latin1(host.substr(colon + 1));
    else env["SERVER_PORT"] = ctx.url_scheme == "https" ? "443" : "80";
  } else {
    env["SERVER_NAME"] = pyb::str(ctx.server->name);
    env["SERVER_PORT"] = "";
  }

  std::string_view path = h.path;
  if (!script_name.empty()) {
    if (path.substr(0, script_name.size()) != script_name)
      throw ConfigurationProblem("Request path '" + std::string(path) +
                                 "' does not start with SCRIPT_NAME '" + script_name + "'");
    path.remove_prefix(script_name.size());
  }
  env["PATH_INFO"] = unquote_to_wsgi_str(path);
  env["SCRIPT_NAME"] = pyb::str(script_name);

  if (ctx.proxy) {
    // gunicorn's proxy_environ. For LOCAL/UNSPEC headers (no addresses) the
    // socket's own REMOTE_ADDR stays (gunicorn would store None: see
    // docs/compatibility.md).
    env["PROXY_PROTOCOL"] = pyb::str(std::string(ctx.proxy->protocol()));
    if (ctx.proxy->has_addresses()) {
      env["REMOTE_ADDR"] = pyb::str(ctx.proxy->src_addr);
      env["REMOTE_PORT"] = pyb::str(std::to_string(ctx.proxy->src_port));
      env["PROXY_ADDR"] = pyb::str(ctx.proxy->dst_addr);
      env["PROXY_PORT"] = pyb::str(std::to_string(ctx.proxy->dst_port));
    }
  }
}

}  // namespace gpp::py

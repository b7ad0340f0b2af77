#include "python_shim/environ.hpp"

#include <pybind11/pybind11.h>

#include <string_view>
#include <unordered_map>

namespace gpp::py {
namespace pyb = pybind11;

namespace {

/// Owns a new reference for the duration of a statement sequence.
struct Ref {
  PyObject* p;
  explicit Ref(PyObject* o) : p(o) {
    if (!p) throw pyb::error_already_set();
  }
  ~Ref() { Py_XDECREF(p); }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
};

PyObject* latin1(std::string_view s) {
  PyObject* o = PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
  if (!o) throw pyb::error_already_set();
  return o;
}

/// env[key] = value, stealing `value`.
void set_steal(PyObject* env, PyObject* key, PyObject* value) {
  if (!value) throw pyb::error_already_set();
  int rc = PyDict_SetItem(env, key, value);
  Py_DECREF(value);
  if (rc < 0) throw pyb::error_already_set();
}

void set_str(PyObject* env, PyObject* key, std::string_view value) { set_steal(env, key, latin1(value)); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

/// A bounded map from bytes as sent to the str made of them once (str is
/// immutable, so one object serves every request). Bounded, as the bytes come
/// from clients. The GIL serialises callers.
class StrCache {
 public:
  explicit StrCache(std::size_t limit) : limit_(limit) {}

  /// New reference to the str for `raw`; make(raw) builds it on a miss.
  template <class Make>
  PyObject* get(std::string_view raw, Make make) {
    probe_.assign(raw);
    if (auto it = cache_.find(probe_); it != cache_.end()) {
      Py_INCREF(it->second);
      return it->second;
    }
    PyObject* o = make(raw);
    if (cache_.size() < limit_) {
      Py_INCREF(o);
      cache_.emplace(probe_, o);
    }
    return o;
  }

 private:
  std::size_t limit_;
  std::unordered_map<std::string, PyObject*> cache_;
  std::string probe_;
};

/// "User-Agent" -> interned "HTTP_USER_AGENT" (new reference). Cached by the
/// name as sent, so a hit costs one hash.
PyObject* header_key(std::string_view name) {
  static StrCache cache(256);
  return cache.get(name, [](std::string_view raw) {
    std::string key = "HTTP_";
    key.reserve(5 + raw.size());
    for (char c : raw) key.push_back(c == '-' ? '_' : upper(c));
    PyObject* o = latin1(key);
    PyUnicode_InternInPlace(&o);
    return o;
  });
}

/// A str for a value that repeats from request to request (the method, the
/// scheme, SERVER_NAME and SERVER_PORT).
PyObject* repeated_str(std::string_view value) {
  static StrCache cache(64);
  return cache.get(value, latin1);
}

}  // namespace

namespace {

bool matches_lowered(PyObject* key, const std::string& lower) {
  if (!PyUnicode_Check(key) || !PyUnicode_IS_ASCII(key)) return false;
  if (static_cast<std::size_t>(PyUnicode_GET_LENGTH(key)) != lower.size()) return false;
  const char* k = reinterpret_cast<const char*>(PyUnicode_DATA(key));
  for (std::size_t i = 0; i < lower.size(); ++i) {
    char c = k[i] >= 'A' && k[i] <= 'Z' ? static_cast<char>(k[i] + 32) : k[i];
    if (c != lower[i]) return false;
  }
  return true;
}

bool utf8_of(PyObject* str, std::string& out) {
  PyObject* b = PyUnicode_AsEncodedString(str, "utf-8", "backslashreplace");
  if (!b) return false;
  out.assign(PyBytes_AS_STRING(b), static_cast<std::size_t>(PyBytes_GET_SIZE(b)));
  Py_DECREF(b);
  return true;
}

core::log::EnvironValue log_value(PyObject* v) {
  core::log::EnvironValue out;
  if (PyUnicode_Check(v)) {
    out.kind = core::log::EnvironValue::Str;
    if (!utf8_of(v, out.text)) PyErr_Clear();
    return out;
  }
  if (v == Py_None) {
    out.kind = core::log::EnvironValue::None;
    return out;
  }
  if (PyLong_CheckExact(v)) {  // not bool: str(True) is "True"
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow && !(n == -1 && PyErr_Occurred())) {
      out.kind = core::log::EnvironValue::Int;
      out.num = n;
      return out;
    }
    PyErr_Clear();
  }
  out.kind = core::log::EnvironValue::Other;
  PyObject* s = PyObject_Str(v);  // gunicorn's "%s" % value
  if (!s || !utf8_of(s, out.text)) {
    PyErr_Clear();
    out.text = "-";
  }
  Py_XDECREF(s);
  return out;
}

}  // namespace

void capture_environ(PyObject* env, const std::vector<std::string>& keys, core::log::AppEnviron& out) {
  out.clear();
  for (const auto& k : keys) out.emplace_back(k, std::nullopt);
  if (!env || !PyDict_Check(env)) return;
  Py_ssize_t pos = 0;
  PyObject *key, *value;
  while (PyDict_Next(env, &pos, &key, &value)) {
    for (auto& [name, slot] : out) {
      if (matches_lowered(key, name)) slot = log_value(value);
    }
  }
}

PyObject* intern_key(const char* name) {
  PyObject* o = PyUnicode_InternFromString(name);
  if (!o) throw pyb::error_already_set();
  return o;  // lives as long as the process
}

PyObject* unquote_to_wsgi_str(std::string_view path) {
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

PyObject* base_environ(const ServerInfo& server) {
  try {
    // Sized for a whole request's environ (about 25 keys, 40 with a browser's
    // headers): PyDict_Copy clones the table at this size, so filling a copy
    // never resizes it (two resizes per request before: 16 -> 32 -> 64 slots).
    Ref env(_PyDict_NewPresized(40));
    set_steal(env.p, GPP_ENVIRON_KEY("wsgi.version"), Py_BuildValue("(ii)", 1, 0));
    set_steal(env.p, GPP_ENVIRON_KEY("wsgi.multithread"), PyBool_FromLong(server.multithread));
    set_steal(env.p, GPP_ENVIRON_KEY("wsgi.multiprocess"), PyBool_FromLong(server.multiprocess));
    set_steal(env.p, GPP_ENVIRON_KEY("wsgi.run_once"), PyBool_FromLong(0));
    set_steal(env.p, GPP_ENVIRON_KEY("wsgi.input_terminated"), PyBool_FromLong(1));
    set_str(env.p, GPP_ENVIRON_KEY("SERVER_SOFTWARE"), "gunicornpp/0.1.0");
    Py_INCREF(env.p);
    return env.p;
  } catch (pyb::error_already_set& e) {
    e.restore();
    return nullptr;
  }
}

void fill_environ(PyObject* env, const RequestContext& ctx, const std::string& default_script_name) {
  const auto& h = *ctx.head;
  set_steal(env, GPP_ENVIRON_KEY("REQUEST_METHOD"), repeated_str(h.method));
  set_str(env, GPP_ENVIRON_KEY("QUERY_STRING"), h.query);
  set_str(env, GPP_ENVIRON_KEY("RAW_URI"), h.target);
  if (h.version_major == 1 && (h.version_minor == 1 || h.version_minor == 0)) {
    static PyObject* v11 = PyUnicode_InternFromString("HTTP/1.1");
    static PyObject* v10 = PyUnicode_InternFromString("HTTP/1.0");
    PyObject* v = h.version_minor == 1 ? v11 : v10;
    Py_INCREF(v);
    set_steal(env, GPP_ENVIRON_KEY("SERVER_PROTOCOL"), v);
  } else {
    set_str(env, GPP_ENVIRON_KEY("SERVER_PROTOCOL"),
            "HTTP/" + std::to_string(h.version_major) + "." + std::to_string(h.version_minor));
  }
  std::string_view host;
  bool have_host = false;
  std::string script_name = default_script_name;
  for (const auto& hdr : h.headers) {
    if (iequals(hdr.name, "HOST")) {
      host = hdr.value;
      have_host = true;
    } else if (iequals(hdr.name, "SCRIPT_NAME")) {
      script_name.assign(hdr.value);
    } else if (iequals(hdr.name, "CONTENT-TYPE")) {
      set_str(env, GPP_ENVIRON_KEY("CONTENT_TYPE"), hdr.value);
      continue;
    } else if (iequals(hdr.name, "CONTENT-LENGTH")) {
      set_str(env, GPP_ENVIRON_KEY("CONTENT_LENGTH"), hdr.value);
      continue;
    }
    Ref key(header_key(hdr.name));
    PyObject* value = latin1(hdr.value);
    if (PyObject* prev = PyDict_GetItemWithError(env, key.p)) {
      // Repeated header: "%s,%s" % (previous, value), as gunicorn.
      Ref v(value);
      value = PyUnicode_FromFormat("%U,%U", prev, v.p);
    } else if (PyErr_Occurred()) {
      Py_DECREF(value);
      throw pyb::error_already_set();
    }
    set_steal(env, key.p, value);
  }
  set_steal(env, GPP_ENVIRON_KEY("wsgi.url_scheme"), repeated_str(ctx.url_scheme));
  set_str(env, GPP_ENVIRON_KEY("REMOTE_ADDR"), ctx.remote_addr);
  if (ctx.remote_port >= 0)
    set_str(env, GPP_ENVIRON_KEY("REMOTE_PORT"), std::to_string(ctx.remote_port));

  if (!ctx.server->unix_socket) {
    set_steal(env, GPP_ENVIRON_KEY("SERVER_NAME"), repeated_str(ctx.server->name));
    set_steal(env, GPP_ENVIRON_KEY("SERVER_PORT"), repeated_str(ctx.server->port));
  } else if (have_host && !host.empty()) {
    // gunicorn: host.split(':') -> [0] and [1]; a bare host gets the scheme's port.
    auto colon = host.find(':');
    set_str(env, GPP_ENVIRON_KEY("SERVER_NAME"), host.substr(0, colon));
    if (colon != std::string_view::npos) {
      std::string_view rest = host.substr(colon + 1);
      set_str(env, GPP_ENVIRON_KEY("SERVER_PORT"), rest.substr(0, rest.find(':')));
    } else {
      std::string_view port = ctx.url_scheme == "https" ? "443" : ctx.url_scheme == "http" ? "80" : "";
      set_str(env, GPP_ENVIRON_KEY("SERVER_PORT"), port);
    }
  } else {
    set_str(env, GPP_ENVIRON_KEY("SERVER_NAME"), ctx.server->name);
    set_str(env, GPP_ENVIRON_KEY("SERVER_PORT"), "");
  }

  std::string_view path = h.path;
  if (!script_name.empty()) {
    if (path.substr(0, script_name.size()) != script_name) {
      Ref p(latin1(path));
      Ref s(latin1(script_name));
      Ref msg(PyUnicode_FromFormat("Configuration problem: Request path %R does not start with SCRIPT_NAME %R",
                                   p.p, s.p));
      Ref utf8(PyUnicode_AsEncodedString(msg.p, "utf-8", "replace"));
      Ref l1(PyUnicode_AsEncodedString(msg.p, "latin-1", "replace"));
      throw ConfigurationProblem(PyBytes_AS_STRING(utf8.p), PyBytes_AS_STRING(l1.p));
    }
    path.remove_prefix(script_name.size());
  }
  set_steal(env, GPP_ENVIRON_KEY("PATH_INFO"), unquote_to_wsgi_str(path));
  set_str(env, GPP_ENVIRON_KEY("SCRIPT_NAME"), script_name);

  if (ctx.proxy) {
    // gunicorn's proxy_environ. For LOCAL/UNSPEC headers (no addresses) the
    // socket's own REMOTE_ADDR stays (gunicorn would store None: see
    // docs/compatibility.md).
    set_str(env, GPP_ENVIRON_KEY("PROXY_PROTOCOL"), ctx.proxy->protocol());
    if (ctx.proxy->has_addresses()) {
      set_str(env, GPP_ENVIRON_KEY("REMOTE_ADDR"), ctx.proxy->src_addr);
      set_str(env, GPP_ENVIRON_KEY("REMOTE_PORT"), std::to_string(ctx.proxy->src_port));
      set_str(env, GPP_ENVIRON_KEY("PROXY_ADDR"), ctx.proxy->dst_addr);
      set_str(env, GPP_ENVIRON_KEY("PROXY_PORT"), std::to_string(ctx.proxy->dst_port));
    }
  }
}

}  // namespace gpp::py

#include "config/validators.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "config/pyformat.hpp"

namespace gpp::config::validators {
namespace {

[[noreturn]] void fail(const std::string& why) { throw ValidationError(why); }

std::string strip(std::string_view s) {
  const auto* ws = " \t\n\r\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// validate_string's core: None stays None, a str is stripped, else TypeError.
std::optional<std::string> opt_string(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&v)) return strip(*s);
  fail("Not a string: " + py_str(v));
}

/// Python truthiness of a value (for `if not val`).
bool truthy(const Value& v) {
  struct T {
    bool operator()(std::monostate) const { return false; }
    bool operator()(bool b) const { return b; }
    bool operator()(std::int64_t i) const { return i != 0; }
    bool operator()(double d) const { return d != 0.0; }
    bool operator()(const std::string& s) const { return !s.empty(); }
    bool operator()(const StringList& l) const { return !l.empty(); }
    bool operator()(const StringMap& m) const { return !m.empty(); }
    bool operator()(const Callable&) const { return true; }
  };
  return std::visit(T{}, v);
}

/// A lower-cased, stripped choice out of `allowed`; None -> `none_value`.
Value choice(const Value& v, std::initializer_list<std::string_view> allowed, std::string_view none_value,
             const std::string& type_error, const std::string& value_error_prefix) {
  if (std::holds_alternative<std::monostate>(v)) return std::string(none_value);
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail(type_error);
  std::string low = lower(strip(*s));
  for (auto a : allowed) {
    if (low == a) return low;
  }
  fail(value_error_prefix + *s);
}

bool is_glob_pattern(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

/// util.getcwd(): $PWD when it is the same directory as ".", else getcwd().
std::string gunicorn_getcwd() {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec).string();
  if (const char* pwd = std::getenv("PWD")) {
    struct stat a {}, b {};
    if (::stat(pwd, &a) == 0 && ::stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
      return pwd;
    }
  }
  return cwd;
}

}  // namespace

Value pos_int(const Value& v, const SettingSpec&) {
  std::int64_t n = 0;
  if (const auto* b = std::get_if<bool>(&v)) {
    n = *b ? 1 : 0;  // booleans are ints in Python
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    n = *i;
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    auto parsed = py_int(*s, 0);
    if (!parsed) fail("invalid literal for int() with base 0: " + py_repr_string(*s));
    n = *parsed;
  } else {
    fail("int() can't convert non-string with explicit base");
  }
  if (n < 0) fail("Value must be positive: " + std::to_string(n));
  return n;
}

Value http2_frame_size(const Value& v, const SettingSpec& s) {
  const auto n = std::get<std::int64_t>(pos_int(v, s));
  if (n < 16384 || n > 16777215) {
    fail("http2_max_frame_size must be between 16384 and 16777215, got " + std::to_string(n));
  }
  return n;
}

Value boolean(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return std::monostate{};
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail("Invalid type for casting: " + py_str(v));
  const auto low = lower(strip(*s));
  if (low == "true") return true;
  if (low == "false") return false;
  fail("Invalid boolean: " + *s);
}

Value string(const Value& v, const SettingSpec&) {
  auto s = opt_string(v);
  if (!s) return std::monostate{};
  return *s;
}

Value list_string(const Value& v, const SettingSpec&) {
  if (!truthy(v)) return StringList{};
  if (const auto* s = std::get_if<std::string>(&v)) return StringList{strip(*s)};  // legacy syntax
  if (const auto* l = std::get_if<StringList>(&v)) {
    StringList out;
    for (const auto& item : *l) out.push_back(strip(item));
    return out;
  }
  if (const auto* m = std::get_if<StringMap>(&v)) {  // iterating a dict yields its keys
    StringList out;
    for (const auto& [k, _] : *m) out.push_back(strip(k));
    return out;
  }
  fail("'" + std::string(py_type_name(v)) + "' object is not iterable");
}

Value files_or_patterns(const Value& v, const SettingSpec& s) {
  auto list = std::get<StringList>(list_string(v, s));
  for (const auto& entry : list) {
    if (is_glob_pattern(entry)) continue;  // re-expanded by the reloader on every check
    std::error_code ec;
    if (!std::filesystem::exists(entry, ec)) fail("File " + entry + " does not exists.");
  }
  return list;
}

Value string_to_list(const Value& v, const SettingSpec&) {
  auto s = opt_string(v);
  if (!s || s->empty()) return StringList{};
  StringList out;
  std::size_t pos = 0;
  while (true) {
    const auto comma = s->find(',', pos);
    const auto piece = s->substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!piece.empty()) out.push_back(strip(piece));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool is_ip_network(std::string_view text, std::string& why) {
  const std::string t(text);
  const auto slash = t.find('/');
  const std::string addr = t.substr(0, slash);
  unsigned char buf[16] = {};
  int bits = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1 && addr.find_first_not_of("0123456789.") == std::string::npos) {
    bits = 32;
  } else if (addr.find(':') != std::string::npos && ::inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    bits = 128;
  } else {
    why = py_repr_string(t) + " does not appear to be an IPv4 or IPv6 network";
    return false;
  }
  int prefix = bits;
  if (slash != std::string::npos) {
    const std::string p = t.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > bits) {
      why = py_repr_string(t) + " does not appear to be an IPv4 or IPv6 network";
      return false;
    }
    prefix = std::stoi(p);
  }
  for (int bit = prefix; bit < bits; ++bit) {
    if (buf[bit / 8] & (0x80 >> (bit % 8))) {
      why = t + " has host bits set";
      return false;
    }
  }
  return true;
}

Value addr_list(const Value& v, const SettingSpec& s) {
  auto list = std::get<StringList>(string_to_list(v, s));
  for (const auto& addr : list) {
    if (addr == "*") continue;
    std::string why;
    if (!is_ip_network(addr, why)) fail(why);
  }
  return list;
}

Value dict(const Value& v, const SettingSpec&) {
  if (const auto* m = std::get_if<StringMap>(&v)) return *m;
  fail("Value is not a dictionary: " + py_str(v) + " ");
}

Value klass(const Value& v, const SettingSpec& s) {
  if (std::holds_alternative<Callable>(v)) return v;  // a class object from a conf.py
  return string(v, s);
}

namespace {
/// validate_callable's shared part: an import string "module.object" or a callable.
Value callable_value(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->find('.') == std::string::npos) {
      fail("Value '" + *s + "' is not import string. Format: module[.submodules...].object");
    }
    return *s;  // imported by python_shim
  }
  if (!std::holds_alternative<Callable>(v)) fail("Value is not callable: " + py_str(v));
  return v;
}
}  // namespace

Value callable(const Value& v, const SettingSpec& s) {
  Value out = callable_value(v);
  if (const auto* c = std::get_if<Callable>(&out)) {
    if (s.arity != -1 && c->arity != -1 && c->arity != s.arity) {
      fail("Value must have an arity of: " + std::to_string(s.arity));
    }
  }
  return out;
}

Value post_request(const Value& v, const SettingSpec&) {
  Value out = callable_value(v);
  if (const auto* c = std::get_if<Callable>(&out)) {
    if (c->arity != -1 && (c->arity < 2 || c->arity > 4)) fail("Value must have an arity of: 4");
  }
  return out;
}

Value user(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return static_cast<std::int64_t>(::geteuid());
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return static_cast<std::int64_t>(*b);
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail("'" + std::string(py_type_name(v)) + "' object has no attribute 'isdigit'");
  if (!s->empty() && std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isdigit(c); })) {
    return static_cast<std::int64_t>(std::stoll(*s));
  }
  if (const passwd* pw = ::getpwnam(s->c_str())) return static_cast<std::int64_t>(pw->pw_uid);
  fail("No such user: '" + *s + "'");
}

Value group(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return static_cast<std::int64_t>(::getegid());
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return static_cast<std::int64_t>(*b);
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail("'" + std::string(py_type_name(v)) + "' object has no attribute 'isdigit'");
  if (!s->empty() && std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isdigit(c); })) {
    return static_cast<std::int64_t>(std::stoll(*s));
  }
  if (const ::group* gr = ::getgrnam(s->c_str())) return static_cast<std::int64_t>(gr->gr_gid);
  fail("No such group: '" + *s + "'");
}

Value chdir(const Value& v, const SettingSpec&) {
  auto s = opt_string(v);
  if (!s) fail("expected str, bytes or os.PathLike object, not NoneType");
  namespace fs = std::filesystem;
  fs::path p = fs::path(gunicorn_getcwd()) / *s;  // an absolute *s replaces the cwd
  p = p.lexically_normal();
  std::string out = p.string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  std::error_code ec;
  if (!fs::exists(out, ec)) fail("can't chdir to " + py_repr_string(*s));
  return out;
}

Value statsd_address(const Value& v, const SettingSpec&) {
  auto s = opt_string(v);
  if (!s) return std::monostate{};
  const std::string& a = *s;
  if (a.rfind("unix:", 0) == 0 || a.rfind("fd://", 0) == 0) return a;
  std::string hostport = a.rfind("tcp://", 0) == 0 ? a.substr(6) : a;
  std::string port;
  if (!hostport.empty() && hostport[0] == '[') {
    const auto close = hostport.find(']');
    if (close != std::string::npos && close + 1 < hostport.size() && hostport[close + 1] == ':') {
      port = hostport.substr(close + 2);
    }
  } else if (const auto colon = hostport.find(':'); colon != std::string::npos) {
    port = hostport.substr(colon + 1);
  }
  if (!port.empty() && !py_int(port, 10)) fail("Value must be one of ('host:port', 'unix://PATH')");
  return a;
}

Value reload_engine(const Value& v, const SettingSpec&) {
  const auto* s = std::get_if<std::string>(&v);
  if (s && (*s == "auto" || *s == "poll" || *s == "inotify")) return *s;
  fail("Invalid reload_engine: " + py_repr(v));
}

Value any(const Value& v, const SettingSpec&) { return v; }

Value proxy_protocol(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return std::string("off");
  if (const auto* b = std::get_if<bool>(&v)) return std::string(*b ? "auto" : "off");
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail("proxy_protocol must be string or bool");
  const auto low = lower(strip(*s));
  if (low == "false" || low == "off" || low == "0" || low == "none") return std::string("off");
  if (low == "true" || low == "auto" || low == "1") return std::string("auto");
  if (low == "v1" || low == "v2") return low;
  fail("proxy_protocol must be: off, v1, v2, or auto");
}

Value http_protocols(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return StringList{"h1"};
  const auto* s = std::get_if<std::string>(&v);
  if (!s) fail("http_protocols must be a string");
  StringList out;
  std::string text = *s;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    auto p = lower(strip(text.substr(pos, comma - pos)));
    if (!p.empty()) out.push_back(p);
    pos = comma + 1;
  }
  if (out.empty()) return StringList{"h1"};
  std::set<std::string> seen;
  for (const auto& p : out) {
    if (p != "h1" && p != "h2" && p != "h3") fail("Invalid protocol '" + p + "'. Valid protocols: h1, h2, h3");
    seen.insert(p);
  }
  if (seen.size() != out.size()) fail("Duplicate protocols specified");
  return out;
}

Value http2_cleartext(const Value& v, const SettingSpec&) {
  if (const auto* b = std::get_if<bool>(&v)) return std::string(*b ? "prior-knowledge" : "off");
  return choice(v, {"off", "prior-knowledge", "upgrade", "both"}, "off",
                "Invalid type for casting: " + py_str(v), "Invalid http2_cleartext: ");
}

Value header_map(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return std::monostate{};
  return choice(v, {"drop", "refuse", "dangerous"}, "", "Invalid type for casting: " + py_str(v),
                "Invalid header map behaviour: ");
}

Value asgi_loop(const Value& v, const SettingSpec&) {
  return choice(v, {"auto", "asyncio", "uvloop"}, "auto", "Invalid type for casting: " + py_str(v),
                "Invalid ASGI loop: ");
}

Value asgi_lifespan(const Value& v, const SettingSpec&) {
  return choice(v, {"auto", "on", "off"}, "auto", "Invalid type for casting: " + py_str(v),
                "Invalid ASGI lifespan: ");
}

Value http_parser(const Value& v, const SettingSpec&) {
  if (std::holds_alternative<std::monostate>(v)) return std::string("auto");
  if (!std::holds_alternative<std::string>(v)) fail("http_parser must be a string");
  try {
    return choice(v, {"auto", "fast", "python"}, "auto", "", "");
  } catch (const ValidationError&) {
    fail("http_parser must be one of: auto, fast, python");
  }
}

}  // namespace gpp::config::validators

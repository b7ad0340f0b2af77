#include "core/log/access_log_format.hpp"

#include <cstdio>
#include <string_view>

namespace gpp::core::log {
namespace {

using Atom = AccessLogFormat::Atom;
using Spec = AccessLogFormat::Spec;

/// One atom's value as Python sees it: a str (held as UTF-8), an int, or None.
struct Value {
  enum Kind { Str, Int, None } kind = Str;
  std::string str;
  long long num = 0;
};

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// Latin-1 bytes -> UTF-8, with SafeAtoms' '"' -> '\"'.
void append_latin1_escaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else append_utf8(out, u);
  }
}

Value latin1(std::string_view bytes) {
  Value v;
  append_latin1_escaped(v.str, bytes);
  return v;
}

Value integer(long long n) {
  Value v;
  v.kind = Value::Int;
  v.num = n;
  return v;
}

Value none() {
  Value v;
  v.kind = Value::None;
  return v;
}

/// Decode UTF-8 into code points (input is valid UTF-8 we produced).
std::u32string code_points(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(cp);
    i += 1 + extra;
  }
  return out;
}

bool printable(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return false;
  if (cp >= 0x80 && cp <= 0xA0) return false;
  return cp != 0xAD;
}

/// Python's repr() (ascii_only: ascii()) of a str.
std::string py_repr(std::string_view utf8, bool ascii_only) {
  std::u32string cps = code_points(utf8);
  bool has_single = cps.find(U'\'') != std::u32string::npos;
  bool has_double = cps.find(U'"') != std::u32string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  char buf[16];
  for (char32_t cp : cps) {
    if (cp == static_cast<char32_t>(quote) || cp == U'\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == U'\t') {
      out += "\\t";
    } else if (cp == U'\n') {
      out += "\\n";
    } else if (cp == U'\r') {
      out += "\\r";
    } else if (!printable(cp) || (ascii_only && cp >= 0x80)) {
      if (cp < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      else if (cp < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      else std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      append_utf8(out, cp);
    }
  }
  out.push_back(quote);
  return out;
}

/// Width (space padding) and precision (truncation) in code points, as %s does.
void append_padded(std::string& out, std::string_view text, const Spec& spec, bool truncate) {
  std::u32string cps = code_points(text);
  if (truncate && spec.precision >= 0 && cps.size() > static_cast<std::size_t>(spec.precision)) {
    cps.resize(static_cast<std::size_t>(spec.precision));
    std::string cut;
    for (char32_t cp : cps) append_utf8(cut, cp);
    return append_padded(out, cut, spec, false);
  }
  std::size_t pad = spec.width > 0 && cps.size() < static_cast<std::size_t>(spec.width)
                        ? static_cast<std::size_t>(spec.width) - cps.size() : 0;
  bool left = spec.flags.find('-') != std::string::npos;
  if (!left) out.append(pad, ' ');
  out.append(text);
  if (left) out.append(pad, ' ');
}

bool append_number(std::string& out, long long n, const Spec& spec) {
  std::string f = "%" + spec.flags;
  bool alt_octal = spec.conversion == 'o' && spec.flags.find('#') != std::string::npos;
  if (alt_octal) f.erase(f.find('#'), 1);
  if (spec.width >= 0) f += std::to_string(spec.width);
  if (spec.precision >= 0) f += "." + std::to_string(spec.precision);
  char buf[512];
  int len = 0;
  switch (spec.conversion) {
    case 'd': case 'i': case 'u':
      len = std::snprintf(buf, sizeof buf, (f + "lld").c_str(), n);
      break;
    case 'x': case 'X': case 'o':
      if (n < 0) return false;  // Python prints "-0x1"; not worth the code for an access log
      len = std::snprintf(buf, sizeof buf, (f + "ll" + spec.conversion).c_str(), n);
      break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      len = std::snprintf(buf, sizeof buf, (f + spec.conversion).c_str(), static_cast<double>(n));
      break;
    default: return false;
  }
  if (len < 0 || static_cast<std::size_t>(len) >= sizeof buf) return false;
  std::string s(buf, static_cast<std::size_t>(len));
  if (alt_octal) {
    std::size_t digit = s.find_first_of("0123456789");
    if (digit != std::string::npos) s.insert(digit, "0o");
  }
  out += s;
  return true;
}

bool append_value(std::string& out, const Value& v, const Spec& spec) {
  char c = spec.conversion;
  if (c == 's' || c == 'r' || c == 'a') {
    std::string text = v.kind == Value::None ? "None"
                       : v.kind == Value::Int ? std::to_string(v.num)
                       : c == 's'             ? v.str
                                              : py_repr(v.str, c == 'a');
    append_padded(out, text, spec, true);
    return true;
  }
  if (c == 'c') {
    std::string ch;
    if (v.kind == Value::Int && v.num >= 0 && v.num <= 0x10FFFF) append_utf8(ch, static_cast<char32_t>(v.num));
    else if (v.kind == Value::Str && code_points(v.str).size() == 1) ch = v.str;
    else return false;
    append_padded(out, ch, spec, false);
    return true;
  }
  if (v.kind != Value::Int) return false;  // "%d format: a real number is required, not str"
  return append_number(out, v.num, spec);
}

Atom atom_of(std::string_view key, std::string& name) {
  if (key.size() >= 3 && key.front() == '{' && key[key.size() - 2] == '}') {
    name.clear();
    for (char ch : key.substr(1, key.size() - 3)) name.push_back(ascii_lower(ch));
    switch (ascii_lower(key.back())) {
      case 'i': return Atom::RequestHeader;
      case 'o': return Atom::ResponseHeader;
      case 'e': return Atom::Environ;
      default: return Atom::Unknown;
    }
  }
  if (key.size() != 1) return Atom::Unknown;
  constexpr std::string_view kSingle = "hlutrsmUqHbBfaTDMLp";
  std::size_t i = kSingle.find(key[0]);
  return i == std::string_view::npos ? Atom::Unknown : static_cast<Atom>(i);
}

std::string_view first_word(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  s.remove_prefix(b);
  return s.substr(0, s.find_first_of(" \t\r\n\f\v"));
}

/// A value from the app's environ: a str gets SafeAtoms' escaping, other
/// objects are formatted as they are (str() for %s).
Value app_value(const EnvironValue& ev) {
  Value v;
  switch (ev.kind) {
    case EnvironValue::Str:
      for (char ch : ev.text) {
        if (ch == '"') v.str += "\\\"";
        else v.str.push_back(ch);
      }
      return v;
    case EnvironValue::Int: return integer(ev.num);
    case EnvironValue::None: return none();
    case EnvironValue::Other: v.str = ev.text; return v;
  }
  return v;
}

Value environ_or_dash(const AccessInfo& info, std::string_view key) {
  if (info.app_environ) {
    for (const auto& [name, value] : *info.app_environ) {
      if (name != key) continue;
      return value ? app_value(*value) : latin1("-");
    }
  }
  std::string raw;
  if (info.environ && info.environ(key, raw)) return latin1(raw);
  return latin1("-");
}

Value value_of(const AccessLogFormat::Segment& seg, const AccessInfo& info) {
  switch (seg.atom) {
    case Atom::h: return latin1(info.remote_addr);
    case Atom::l: return latin1("-");
    case Atom::u: {
      std::string auth;
      if (info.environ && info.environ("http_authorization", auth)) {
        if (auto user = basic_auth_user(auth); user && !user->empty()) {  // `user or '-'`
          Value v;  // decoded as UTF-8 by gunicorn: already UTF-8
          for (char ch : *user) {
            if (ch == '"') v.str += "\\\"";
            else v.str.push_back(ch);
          }
          return v;
        }
      }
      return latin1("-");
    }
    case Atom::t: {
      std::tm tm{};
      ::localtime_r(&info.now, &tm);
      char buf[64];
      std::size_t n = std::strftime(buf, sizeof buf, "[%d/%b/%Y:%H:%M:%S %z]", &tm);
      return latin1(std::string_view(buf, n));
    }
    case Atom::r: {
      Value v = latin1(info.method);
      v.str.push_back(' ');
      append_latin1_escaped(v.str, info.raw_uri);
      v.str.push_back(' ');
      append_latin1_escaped(v.str, info.protocol);
      return v;
    }
    case Atom::s: return info.status.empty() ? none() : latin1(first_word(info.status));
    case Atom::m: return latin1(info.method);
    case Atom::U: return info.path_info ? latin1(*info.path_info) : none();
    case Atom::q: return latin1(info.query);
    case Atom::H: return latin1(info.protocol);
    case Atom::b: return latin1(std::to_string(info.body_bytes));
    case Atom::B: return integer(static_cast<long long>(info.body_bytes));
    case Atom::f: return environ_or_dash(info, "http_referer");
    case Atom::a: return environ_or_dash(info, "http_user_agent");
    case Atom::T: return integer(info.duration_us / 1000000);
    case Atom::D: return integer(info.duration_us);
    case Atom::M: return integer(info.duration_us / 1000);
    case Atom::L: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(info.duration_us / 1000000),
                    static_cast<long long>(info.duration_us % 1000000));
      return latin1(buf);
    }
    case Atom::p: return latin1("<" + std::to_string(info.pid) + ">");
    case Atom::RequestHeader:
      if (info.request_headers) {
        for (auto it = info.request_headers->rbegin(); it != info.request_headers->rend(); ++it)
          if (iequals(it->name, seg.text)) return latin1(it->value);
      }
      return latin1("-");
    case Atom::ResponseHeader:
      if (info.response_headers) {
        for (auto it = info.response_headers->rbegin(); it != info.response_headers->rend(); ++it)
          if (iequals(it->first, seg.text)) return latin1(it->second);
      }
      return latin1("-");
    case Atom::Environ: return environ_or_dash(info, seg.text);
    case Atom::Unknown:
    case Atom::Literal: break;
  }
  return latin1("-");
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

/// Parse one "%(key)spec" starting after '%'; `i` ends past the conversion.
bool parse_spec(std::string_view f, std::size_t& i, AccessLogFormat::Segment& seg, std::string* error) {
  if (i >= f.size()) return fail(error, "incomplete format");
  if (f[i] != '(') return fail(error, "format requires a mapping: use %(name)s atoms");
  int depth = 1;
  std::size_t start = ++i;
  while (i < f.size() && depth > 0) {
    if (f[i] == '(') ++depth;
    else if (f[i] == ')') --depth;
    ++i;
  }
  if (depth > 0) return fail(error, "incomplete format key");
  seg.atom = atom_of(f.substr(start, i - 1 - start), seg.text);
  while (i < f.size() && std::string_view("-+ #0").find(f[i]) != std::string_view::npos) seg.spec.flags += f[i++];
  auto number = [&](int& out) {
    if (i < f.size() && f[i] == '*') return false;
    if (i >= f.size() || f[i] < '0' || f[i] > '9') return true;
    out = 0;
    while (i < f.size() && f[i] >= '0' && f[i] <= '9' && out < 100000) out = out * 10 + (f[i++] - '0');
    return true;
  };
  if (!number(seg.spec.width)) return fail(error, "* width needs a tuple argument");
  if (i < f.size() && f[i] == '.') {
    ++i;
    seg.spec.precision = 0;
    if (!number(seg.spec.precision)) return fail(error, "* precision needs a tuple argument");
  }
  if (seg.spec.width > 400 || seg.spec.precision > 400) return fail(error, "width or precision too big");
  if (i < f.size() && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) ++i;
  if (i >= f.size()) return fail(error, "incomplete format");
  char c = f[i++];
  if (std::string_view("sradiuoxXeEfFgGc").find(c) == std::string_view::npos)
    return fail(error, std::string("unsupported format character '") + c + "'");
  seg.spec.conversion = c;
  return true;
}

}  // namespace

std::optional<AccessLogFormat> AccessLogFormat::compile(std::string_view format, std::string* error) {
  AccessLogFormat out;
  std::string literal;
  for (std::size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      literal.push_back(format[i++]);
      continue;
    }
    ++i;
    if (i < format.size() && format[i] == '%') {
      literal.push_back('%');
      ++i;
      continue;
    }
    Segment seg;
    if (!parse_spec(format, i, seg, error)) return std::nullopt;
    if (!literal.empty()) out.segments_.push_back(Segment{Atom::Literal, std::move(literal), {}});
    literal.clear();
    if (seg.atom == Atom::Environ || seg.atom == Atom::u || seg.atom == Atom::f || seg.atom == Atom::a)
      out.uses_environ_ = true;
    out.segments_.push_back(std::move(seg));
  }
  if (!literal.empty()) out.segments_.push_back(Segment{Atom::Literal, std::move(literal), {}});
  return out;
}

std::vector<std::string> AccessLogFormat::environ_keys() const {
  std::vector<std::string> keys;
  for (const Segment& seg : segments_) {
    if (seg.atom != Atom::Environ) continue;
    bool seen = false;
    for (const auto& k : keys) seen = seen || k == seg.text;
    if (!seen) keys.push_back(seg.text);
  }
  return keys;
}

bool AccessLogFormat::render(const AccessInfo& info, std::string& out) const {
  std::size_t mark = out.size();
  for (const Segment& seg : segments_) {
    if (seg.atom == Atom::Literal) {
      out += seg.text;
      continue;
    }
    if (!append_value(out, value_of(seg, info), seg.spec)) {
      out.resize(mark);
      return false;
    }
  }
  return true;
}

std::optional<std::string> basic_auth_user(std::string_view auth) {
  if (auth.size() < 5 || !iequals(auth.substr(0, 5), "basic")) return std::nullopt;
  std::size_t sp = auth.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  // base64.b64decode without validate: characters outside the alphabet are
  // dropped; decoding stops at padding; a short final group is an error.
  std::string bytes;
  unsigned buffer = 0;
  int bits = 0, count = 0;
  bool padded = false;
  for (char c : auth.substr(sp + 1)) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
          : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : c == '=' ? -2 : -1;
    if (v == -1) continue;
    if (v == -2) {
      if (count % 4 >= 2) padded = true;
      if (padded) break;
      continue;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    ++count;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (count % 4 == 1 || (count % 4 != 0 && !padded)) return std::nullopt;  // "Incorrect padding"
  std::string user = bytes.substr(0, bytes.find(':'));
  // .decode("UTF-8"): reject invalid sequences.
  for (std::size_t i = 0; i < user.size();) {
    auto c = static_cast<unsigned char>(user[i]);
    std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (i + extra >= user.size() && extra > 0) return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(user[i + k]) & 0xC0) != 0x80) return std::nullopt;
    i += 1 + extra;
  }
  return user;
}

}  // namespace gpp::core::log

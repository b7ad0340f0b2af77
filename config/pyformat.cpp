#include "config/pyformat.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace gpp::config {
namespace {

bool is_py_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

std::string py_repr_double(double d) {
  if (d != d) return "nan";
  if (d == std::numeric_limits<double>::infinity()) return "inf";
  if (d == -std::numeric_limits<double>::infinity()) return "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string py_repr_string(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string py_repr(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return py_repr_string(*s);
  return py_str(v);
}

std::string py_str(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return py_repr_double(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const StringList& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) out += ", ";
        out += py_repr_string(l[i]);
      }
      return out + "]";
    }
    std::string operator()(const StringMap& m) const {
      std::string out = "{";
      for (std::size_t i = 0; i < m.size(); ++i) {
        if (i) out += ", ";
        out += py_repr_string(m[i].first) + ": " + py_repr_string(m[i].second);
      }
      return out + "}";
    }
    std::string operator()(const Callable& c) const { return c.repr; }
  };
  return std::visit(Visitor{}, v);
}

std::optional<std::int64_t> py_int(std::string_view text, int base) {
  std::size_t b = 0, e = text.size();
  while (b < e && is_py_space(text[b])) ++b;
  while (e > b && is_py_space(text[e - 1])) --e;
  std::string_view s = text.substr(b, e - b);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int radix = base == 0 ? 10 : base;
  bool prefixed = false;
  if ((base == 0 || base == 16 || base == 8 || base == 2) && s.size() >= 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    const int r = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (r != 0 && (base == 0 || base == r)) {
      radix = r;
      prefixed = true;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);  // 0x_1f is valid
    }
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  // base 0: a decimal with a leading zero must be all zeros ("00" ok, "010" not)
  bool all_zero = true;
  std::int64_t value = 0;
  char prev = 0;
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return std::nullopt;
      prev = c;
      continue;
    }
    const int d = digit_value(c);
    if (d >= radix) return std::nullopt;
    if (d != 0) all_zero = false;
    if (value > (std::numeric_limits<std::int64_t>::max() - d) / radix) return std::nullopt;
    value = value * radix + d;
    prev = c;
  }
  if (base == 0 && !prefixed && s[0] == '0' && !all_zero) return std::nullopt;
  return negative ? -value : value;
}

std::string_view py_type_name(const Value& v) {
  switch (v.index()) {
    case 0: return "NoneType";
    case 1: return "bool";
    case 2: return "int";
    case 3: return "float";
    case 4: return "str";
    case 5: return "list";
    case 6: return "dict";
    default: return "function";
  }
}

}  // namespace gpp::config

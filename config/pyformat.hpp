#pragma once
// Python's str()/repr() of config values, for --print-config and error texts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/value.hpp"

namespace gpp::config {

/// repr() of a Python str: 'abc', "it's", with Python's escapes.
std::string py_repr_string(std::string_view s);
/// repr() of a value (strings quoted, lists and dicts as Python shows them).
std::string py_repr(const Value& v);
/// str() of a value, as `print()` and "%s" show it (strings unquoted).
std::string py_str(const Value& v);

/// Python's int(text, base) for base 10 or 0 (auto: 0x/0o/0b prefixes,
/// no leading zeros for decimals), with underscores and surrounding
/// whitespace. nullopt when Python would raise ValueError.
std::optional<std::int64_t> py_int(std::string_view text, int base);

/// Python's type name of the value ('str', 'int', 'list', ...).
std::string_view py_type_name(const Value& v);

}  // namespace gpp::config

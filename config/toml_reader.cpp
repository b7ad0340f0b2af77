// TOML config files (our addition): keys are setting names, values go
// through the same validators as a gunicorn.conf.py's.
#include <toml++/toml.h>

#include <algorithm>

#include "config/load.hpp"
#include "config/setting_spec.hpp"

namespace gpp::config {
namespace {

[[noreturn]] void file_error(const std::string& path, const std::string& what) {
  throw ConfigError("Error: " + path + ": " + what, 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// The setting name closest to an unknown key, if any is close enough.
std::optional<std::string_view> did_you_mean(std::string_view key) {
  std::string normalized(key);
  std::replace(normalized.begin(), normalized.end(), '-', '_');
  std::transform(normalized.begin(), normalized.end(), normalized.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::optional<std::string_view> best;
  std::size_t best_distance = std::max<std::size_t>(2, normalized.size() / 3) + 1;
  for (const auto& spec : settings_table()) {
    const std::size_t d = edit_distance(normalized, spec.name);
    if (d < best_distance) {
      best_distance = d;
      best = spec.name;
    }
  }
  return best;
}

std::string scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_floating_point()) return std::to_string(*node.value<double>());
  return {};
}

Value to_value(const std::string& path, std::string_view key, const toml::node& node) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto b = node.value_exact<bool>()) return *b;
  if (auto i = node.value_exact<std::int64_t>()) return *i;
  if (auto d = node.value_exact<double>()) return *d;
  if (const auto* arr = node.as_array()) {
    StringList list;
    for (const auto& item : *arr) {
      auto s = item.value_exact<std::string>();
      if (!s) file_error(path, "invalid value for " + std::string(key) + ": an array must hold strings");
      list.push_back(*s);
    }
    return list;
  }
  if (const auto* table = node.as_table()) {
    StringMap map;
    for (const auto& [k, item] : *table) {
      if (item.is_table() || item.is_array()) {
        file_error(path, "invalid value for " + std::string(key) + ": nested tables and arrays are not supported");
      }
      map.emplace_back(std::string(k.str()), scalar_text(item));
    }
    return map;
  }
  file_error(path, "invalid value for " + std::string(key) + ": dates and times are not setting values");
}

}  // namespace

RawSettings read_toml_file(const std::string& path) {
  RawSettings out;
  out.source = path;
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    file_error(path, "TOML parse error at line " + std::to_string(where.line) + ", column " +
                         std::to_string(where.column) + ": " + std::string(e.description()));
  }
  for (const auto& [key, node] : doc) {
    const std::string name(key.str());
    if (!is_setting_name(name)) {
      std::string msg = "unknown setting '" + name + "'";
      if (auto hint = did_you_mean(name)) msg += " (did you mean '" + std::string(*hint) + "'?)";
      file_error(path, msg);
    }
    out.values.push_back({name, to_value(path, name, node)});
  }
  return out;
}

}  // namespace gpp::config

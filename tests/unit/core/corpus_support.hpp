#pragma once
// Test support: a minimal JSON reader for the corpus .json files (strings
// are latin-1: \u00XX becomes one byte), the .http fixture decoder (as
// shared/conformance/run_requests.py decode_fixture) and a stream driver
// that runs a whole connection's bytes through the parsers.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/proxy_protocol.hpp"
#include "core/http/request_parser.hpp"

namespace gpp::test {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;
  [[nodiscard]] const Json& operator[](const std::string& k) const;
  [[nodiscard]] bool has(const std::string& k) const { return obj.count(k) != 0; }
};
Json parse_json(std::string_view text);

/// Escaped .http fixture text -> wire bytes.
std::string decode_fixture(std::string_view raw);
std::string read_file(const std::string& path);

struct Case {
  std::string kind, name, data;
  Json meta;
};
std::vector<Case> load_cases(const std::string& corpus_dir);

struct Settings {
  core::http::ParserOptions opts;
  core::http::ProxyMode proxy = core::http::ProxyMode::Off;
  bool peer_trusted = false;
};
Settings settings_from_cfg(const Json& cfg);

struct Request {
  std::string method, target, path, query, fragment;
  int major = 0, minor = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< upper-cased names
  std::string body;
  std::vector<std::pair<std::string, std::string>> trailers;  ///< upper-cased names
  bool operator==(const Request&) const = default;
};

struct StreamResult {
  std::vector<Request> requests;
  bool error = false;       ///< a parser rejected something
  bool incomplete = false;  ///< EOF inside a head/body (NoMoreData-like)
  int status = 0;
  std::string error_class;
  bool operator==(const StreamResult&) const = default;
};

/// Run `data` through proxy/head/body parsing as a connection would, with the
/// bytes arriving in pieces that end at `cuts` (ascending offsets; the rest
/// arrives last). Stops after a request that does not keep the connection.
StreamResult run_stream(std::string_view data, const Settings& s,
                        const std::vector<std::size_t>& cuts = {});

}  // namespace gpp::test

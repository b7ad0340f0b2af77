#include "workers/parser_options.hpp"

#include <random>

namespace gpp::workers {

core::http::ParserOptions parser_options_from(const config::Config& cfg) {
  core::http::ParserOptions o;
  o.limit_request_line = static_cast<std::size_t>(cfg.get_int("limit_request_line"));
  o.limit_request_fields = static_cast<std::size_t>(cfg.get_int("limit_request_fields"));
  o.limit_request_field_size = static_cast<std::size_t>(cfg.get_int("limit_request_field_size"));
  o.permit_unconventional_http_method = cfg.get_bool("permit_unconventional_http_method");
  o.permit_unconventional_http_version = cfg.get_bool("permit_unconventional_http_version");
  o.casefold_http_method = cfg.get_bool("casefold_http_method");
  o.permit_obsolete_folding = cfg.get_bool("permit_obsolete_folding");
  o.strip_header_spaces = cfg.get_bool("strip_header_spaces");
  std::string map = cfg.get_string("header_map");
  o.header_map = map == "refuse"      ? core::http::HeaderMap::Refuse
                 : map == "dangerous" ? core::http::HeaderMap::Dangerous
                                      : core::http::HeaderMap::Drop;
  o.forwarder_headers = cfg.get_list("forwarder_headers");
  o.secure_scheme_headers.clear();
  for (const auto& [name, value] : cfg.get_map("secure_scheme_headers")) {
    std::string upper = name;
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    o.secure_scheme_headers.emplace_back(upper, value);
  }
  return o;
}

long max_requests_with_jitter(const config::Config& cfg) {
  long max = static_cast<long>(cfg.get_int("max_requests"));
  if (max <= 0) return 0;
  long jitter = static_cast<long>(cfg.get_int("max_requests_jitter"));
  if (jitter > 0) {
    std::random_device rd;
    std::uniform_int_distribution<long> dist(0, jitter);
    max += dist(rd);
  }
  return max;
}

}  // namespace gpp::workers

#pragma once
// Settings -> plain structs the pure core code takes.
#include "config/config.hpp"
#include "core/http/request_parser.hpp"

namespace gpp::workers {

[[nodiscard]] core::http::ParserOptions parser_options_from(const config::Config& cfg);
/// max_requests + randint(0, max_requests_jitter), fixed per worker (0 = never).
[[nodiscard]] long max_requests_with_jitter(const config::Config& cfg);

}  // namespace gpp::workers

// libFuzzer target for the pure HTTP code: PROXY header, request head and
// chunked decoder. Besides "no crash / no sanitizer report" it checks
// invariants: consumed never exceeds the input, a complete head re-parses
// identically from exactly its own bytes, and the chunked decoder gives the
// same result however its input is split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/http/chunked_decoder.hpp"
#include "core/http/proxy_protocol.hpp"
#include "core/http/request_parser.hpp"
#include "core/http/response.hpp"

using namespace gpp::core::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

ParserOptions options_from(std::uint8_t a, std::uint8_t b) {
  ParserOptions o;
  o.permit_unconventional_http_method = a & 1;
  o.permit_unconventional_http_version = a & 2;
  o.casefold_http_method = a & 4;
  o.permit_obsolete_folding = a & 8;
  o.strip_header_spaces = a & 16;
  o.header_map = static_cast<HeaderMap>((a >> 5) % 3);
  o.limit_request_line = (b & 1) ? 0 : (b & 2) ? 64 : 4094;
  o.limit_request_fields = (b & 4) ? 3 : 100;
  o.limit_request_field_size = (b & 8) ? 40 : 8190;
  if (b & 16) o.forwarder_headers = {"*"};
  return o;
}

void fuzz_chunked(std::string_view body, const ParserOptions& opts, std::size_t split) {
  ChunkedDecoder whole(opts);
  std::string out1;
  const auto r1 = whole.feed(body, out1);
  check(r1.consumed <= body.size());
  if (r1.status == ChunkedDecoder::Status::NeedMore) (void)whole.at_eof();

  split = body.empty() ? 0 : split % (body.size() + 1);
  ChunkedDecoder parts(opts);
  std::string out2;
  auto r2 = parts.feed(body.substr(0, split), out2);
  std::size_t used = r2.consumed;
  if (r2.status == ChunkedDecoder::Status::NeedMore) {
    check(used == split);
    r2 = parts.feed(body.substr(split), out2);
    used += r2.consumed;
  }
  check(r1.status == r2.status);
  if (r1.status != ChunkedDecoder::Status::Error) {
    check(out1 == out2);
    check(r1.consumed == used);
  } else {
    check(r1.error_class == r2.error_class);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const ParserOptions opts = options_from(data[0], data[1]);
  const bool trusted = data[2] & 1;
  const ProxyMode mode = static_cast<ProxyMode>((data[2] >> 1) & 3);
  std::string_view in(reinterpret_cast<const char*>(data) + 3, size - 3);

  const ProxyResult pr = parse_proxy_header(in, mode, (data[2] & 8) == 0);
  check(pr.consumed <= in.size());
  if (pr.status == ProxyStatus::Complete) in.remove_prefix(pr.consumed);

  RequestHead head;
  const ParseResult r = parse_request_head(in, opts, trusted, head);
  check(r.consumed <= in.size());
  if (r.status == ParseStatus::Error) {
    check(r.http_status >= 400 && r.http_status <= 505 && !r.error_class.empty());
    (void)error_response_for(r.http_status, r.error_class, r.error_detail);
    // The same bytes are rejected the same way however much follows.
    fuzz_chunked(in, opts, size);
    return 0;
  }
  if (r.status == ParseStatus::NeedMore) {
    fuzz_chunked(in, opts, data[1]);
    return 0;
  }
  // A complete head parses identically from exactly its own bytes.
  RequestHead again;
  const ParseResult r2 = parse_request_head(in.substr(0, r.consumed), opts, trusted, again);
  check(r2.status == ParseStatus::Complete && r2.consumed == r.consumed);
  check(again.method == head.method && again.target == head.target &&
        again.headers.size() == head.headers.size() && again.framing == head.framing);
  for (const Header& h : head.headers) {
    check(valid_header_name(h.name));
    check(valid_header_value(h.value));
  }
  if (head.framing == Framing::Chunked) fuzz_chunked(in.substr(r.consumed), opts, data[0]);
  return 0;
}

// Resumable chunked decoder. States: size line -> data -> CRLF -> size line
// ... -> (size 0) trailers -> done. Partial lines are buffered in line_.
#include "core/http/chunked_decoder.hpp"

#include <algorithm>
#include <cstring>

#include "core/http/chars.hpp"
#include "core/http/parse_internal.hpp"

namespace gpp::core::http {
namespace {

enum State : int { kSizeLine = 0, kData, kDataCrlf, kTrailers, kDone, kError };

// Deliberate bound (gunicorn buffers a size line without limit).
constexpr std::size_t kMaxSizeLine = 8190;

const ParserOptions& default_options() {
  static const ParserOptions opts;
  return opts;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
unsigned hex_value(char c) {
  if (c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(detail::ascii_lower(c) - 'a' + 10);
}

}  // namespace

void ChunkedDecoder::reset() {
  state_ = kSizeLine;
  remaining_ = 0;
  body_size_ = 0;
  line_.clear();
  trailer_count_ = 0;
  trailers_.clear();
}

ChunkedDecoder::Result ChunkedDecoder::fail(std::size_t consumed, const char* cls,
                                            std::string detail, int status) {
  state_ = kError;
  Result r;
  r.status = Status::Error;
  r.consumed = consumed;
  r.error_class = cls;
  r.error_detail = std::move(detail);
  r.http_status = status;
  return r;
}

// line_ holds a complete size line including its CRLF.
bool ChunkedDecoder::finish_size_line(Result& r, std::size_t consumed) {
  std::string_view line(line_.data(), line_.size() - 2);
  std::string_view size = line;
  if (std::size_t semi = line.find(';'); semi != std::string_view::npos) {
    // RFC 9112 §7.1.1: BWS before the extension only; no bare CR inside it.
    if (line.substr(semi + 1).find('\r') != std::string_view::npos) {
      r = fail(consumed, "InvalidChunkExtension", "Invalid chunk extension: bare CR not allowed");
      return false;
    }
    size = line.substr(0, semi);
    while (!size.empty() && (size.back() == ' ' || size.back() == '\t')) size.remove_suffix(1);
  }
  std::uint64_t value = 0;
  std::size_t significant = 0;
  bool ok = !size.empty();
  for (char c : size) {
    if (!is_hex(c)) {
      ok = false;
      break;
    }
    if (value != 0 || c != '0') ++significant;
    value = (value << 4) | hex_value(c);
  }
  // Deliberate bound: sizes beyond 2^60 are rejected (gunicorn has bignums).
  if (!ok || significant > 15) {
    r = fail(consumed, "InvalidChunkSize", "Invalid chunk size: " + detail::py_repr_bytes(size));
    return false;
  }
  line_.clear();
  if (value == 0) {
    state_ = kTrailers;
  } else {
    remaining_ = value;
    state_ = kData;
  }
  return true;
}

bool ChunkedDecoder::finish_trailers(Result& r, std::string_view block, std::size_t consumed) {
  const ParserOptions& opts = opts_ != nullptr ? *opts_ : default_options();
  const detail::EffectiveLimits lim = detail::effective_limits(opts);
  detail::HeaderBlockContext ctx;
  ctx.opts = &opts;
  ctx.limits = &lim;
  ctx.from_trailer = true;
  std::vector<Header> fields;
  std::deque<std::string> storage;
  detail::HeaderBlockExtras extras;
  detail::Failure f;
  if (!detail::parse_header_block(block, ctx, fields, storage, extras, f)) {
    r = fail(consumed, f.error_class, std::move(f.detail), f.status);
    return false;
  }
  for (const Header& h : fields) trailers_.emplace_back(h.name, h.value);
  trailer_count_ = trailers_.size();
  return true;
}

ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view in, std::string& out) {
  Result r;
  std::size_t pos = 0;
  while (pos < in.size() || state_ == kDone) {
    switch (state_) {
      case kSizeLine: {
        const void* p = std::memchr(in.data() + pos, '\n', in.size() - pos);
        const std::size_t end =
            p == nullptr ? in.size() : static_cast<const char*>(p) - in.data() + 1;
        line_.append(in.data() + pos, end - pos);
        pos = end;
        if (line_.size() > kMaxSizeLine) {
          const bool ext = line_.find(';') != std::string::npos;
          return fail(pos, ext ? "InvalidChunkExtension" : "InvalidChunkSize",
                      ext ? "Invalid chunk extension: line too long"
                          : "Invalid chunk size: " + detail::py_repr_bytes(line_.substr(0, 32)));
        }
        if (p != nullptr && line_.size() >= 2 && line_[line_.size() - 2] == '\r') {
          if (!finish_size_line(r, pos)) return r;
        }
        break;
      }
      case kData: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
        out.append(in.data() + pos, take);
        pos += take;
        remaining_ -= take;
        body_size_ += take;
        if (remaining_ == 0) state_ = kDataCrlf;
        break;
      }
      case kDataCrlf: {
        line_ += in[pos++];
        if (line_.size() == 2) {
          if (line_ != "\r\n") {
            return fail(pos, "ChunkMissingTerminator",
                        "Invalid chunk terminator is not '\\r\\n': " + detail::py_repr_bytes(line_));
          }
          line_.clear();
          state_ = kSizeLine;
        }
        break;
      }
      case kTrailers: {
        const std::size_t old = line_.size();
        line_.append(in.data() + pos, in.size() - pos);
        if (line_.size() >= 2 && line_[0] == '\r' && line_[1] == '\n') {
          pos += 2 - old;  // no trailer fields: the empty line ends the body
          line_.clear();
          state_ = kDone;
          break;
        }
        const std::size_t end = detail::find_crlfcrlf(line_, old >= 3 ? old - 3 : 0);
        const ParserOptions& opts = opts_ != nullptr ? *opts_ : default_options();
        const std::size_t max = detail::effective_limits(opts).max_buffer_headers;
        if (end == std::string::npos) {
          pos = in.size();
          if (line_.size() > max) return fail(pos, "LimitRequestHeaders", "max buffer headers", 431);
          break;
        }
        // Same bound however the bytes arrived (see parse_request_head).
        if (end + 3 > max) {
          return fail(pos + end + 4 - old, "LimitRequestHeaders", "max buffer headers", 431);
        }
        pos += end + 4 - old;
        line_.resize(end);
        if (!finish_trailers(r, line_, pos)) return r;
        line_.clear();
        state_ = kDone;
        break;
      }
      case kDone:
        r.status = Status::Done;
        r.consumed = pos;
        return r;
      default:
        return fail(pos, "InvalidChunkSize", "decoder used after an error");
    }
  }
  r.status = Status::NeedMore;
  r.consumed = pos;
  return r;
}

ChunkedDecoder::Result ChunkedDecoder::at_eof() const {
  Result r;
  switch (state_) {
    case kDone:
      r.status = Status::Done;
      return r;
    case kDataCrlf:
      r.error_class = "ChunkMissingTerminator";
      r.error_detail = "Invalid chunk terminator is not '\\r\\n': " + detail::py_repr_bytes(line_);
      break;
    case kTrailers:
      r.error_class = "ChunkMissingTerminator";
      r.error_detail = "Invalid chunk terminator is not '\\r\\n': b''";
      break;
    default:
      r.error_class = "NoMoreData";
      r.error_detail = "No more data after: None";
      break;
  }
  r.status = Status::Error;
  r.http_status = 400;
  return r;
}

}  // namespace gpp::core::http

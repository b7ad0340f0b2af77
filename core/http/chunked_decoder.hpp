#pragma once
// Resumable decoder for the chunked transfer coding (RFC 9112 §7.1), with
// extensions and trailers, in the style of picohttpparser's phr_chunked_decoder.
// Rules are gunicorn 26.1's ChunkedReader (http/body.py); trailers go through
// the same header rules as the head (forbidden names, limits, header_map).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/request_parser.hpp"

namespace gpp::core::http {

class ChunkedDecoder {
 public:
  enum class Status { NeedMore, Done, Error };
  struct Result {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;  ///< input bytes used (when Done: up to the end of the trailers)
    std::string error_class;   ///< "InvalidChunkSize", "InvalidChunkExtension", "ChunkMissingTerminator", "InvalidHeader"...
    std::string error_detail;  ///< str(exc) as gunicorn formats it
    int http_status = 0;       ///< when Error: 400 (431 for trailer limits)
  };
  /// Decoder with default ParserOptions (trailer limits, header_map=drop).
  ChunkedDecoder() = default;
  /// Decoder applying `opts` to trailers; `opts` must outlive the decoder.
  explicit ChunkedDecoder(const ParserOptions& opts) noexcept : opts_(&opts) {}

  /// Feed more input; decoded body bytes are appended to `out`. Every byte
  /// of `in` up to `consumed` is used (partial lines are kept inside), so
  /// the next call gets only new bytes. After Done or Error, do not feed again.
  Result feed(std::string_view in, std::string& out);
  /// The error to report when the peer closes before Done (gunicorn: NoMoreData
  /// inside a chunk or size line, ChunkMissingTerminator after data/in trailers).
  [[nodiscard]] Result at_eof() const;
  [[nodiscard]] std::uint64_t body_size() const noexcept { return body_size_; }
  /// Trailer fields kept after header_map rules (name as sent, value trimmed).
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& trailers() const noexcept {
    return trailers_;
  }
  /// Start over for a new body (keeps the options).
  void reset();

 private:
  Result fail(std::size_t consumed, const char* cls, std::string detail, int status = 400);
  bool finish_size_line(Result& r, std::size_t consumed);
  bool finish_trailers(Result& r, std::string_view block, std::size_t consumed);

  const ParserOptions* opts_ = nullptr;
  int state_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t body_size_ = 0;
  std::string line_;  ///< partial size line / trailer line carried between feeds
  std::size_t trailer_count_ = 0;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace gpp::core::http

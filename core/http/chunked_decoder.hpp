#pragma once
// Resumable decoder for the chunked transfer coding (RFC 9112 §7.1), with
// extensions and trailers, in the style of picohttpparser's phr_chunked_decoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpp::core::http {

class ChunkedDecoder {
 public:
  enum class Status { NeedMore, Done, Error };
  struct Result {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;  ///< input bytes used (when Done: up to the end of the trailers)
    std::string error_class;   ///< "InvalidChunkSize", "InvalidChunkExtension", "ChunkMissingTerminator", "InvalidHeader"...
    std::string error_detail;
  };
  /// Feed more input; decoded body bytes are appended to `out`.
  Result feed(std::string_view in, std::string& out);
  [[nodiscard]] std::uint64_t body_size() const noexcept { return body_size_; }

 private:
  int state_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t body_size_ = 0;
  std::string line_;  ///< partial size line / trailer line carried between feeds
  std::size_t trailer_count_ = 0;
};

}  // namespace gpp::core::http

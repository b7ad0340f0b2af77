#include "core/http/chunked_decoder.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace gpp::core::http;

namespace {

struct Decoded {
  ChunkedDecoder::Result r;
  std::string body;
  ChunkedDecoder dec;
};

void decode(Decoded& d, const std::string& in) { d.r = d.dec.feed(in, d.body); }

void require_error(const std::string& in, const std::string& cls, int status = 400,
                   const ParserOptions* opts = nullptr) {
  INFO(in);
  ChunkedDecoder dec = opts != nullptr ? ChunkedDecoder(*opts) : ChunkedDecoder();
  std::string body;
  auto r = dec.feed(in, body);
  if (r.status == ChunkedDecoder::Status::NeedMore) r = dec.at_eof();
  REQUIRE(r.status == ChunkedDecoder::Status::Error);
  CHECK(r.error_class == cls);
  CHECK(r.http_status == status);
}

}  // namespace

TEST_CASE("chunked: decodes, with extensions and leading zeros", "[chunked]") {
  Decoded d;
  decode(d, "5;a=b;c=\"d\"\r\nhello\r\n006 \t;x\r\n world\r\n0000\r\n\r\nNEXT");
  REQUIRE(d.r.status == ChunkedDecoder::Status::Done);
  CHECK(d.body == "hello world");
  CHECK(d.r.consumed == 45);
  CHECK(d.dec.body_size() == 11);
}

TEST_CASE("chunked: resumable at every byte", "[chunked]") {
  const std::string in = "A\r\n0123456789\r\n1;e\r\nx\r\n0\r\nX-T: 1\r\n\r\n";
  for (std::size_t k = 0; k <= in.size(); ++k) {
    ChunkedDecoder dec;
    std::string body;
    auto r1 = dec.feed(in.substr(0, k), body);
    REQUIRE(r1.status != ChunkedDecoder::Status::Error);
    if (r1.status == ChunkedDecoder::Status::NeedMore) {
      CHECK(r1.consumed == k);
      r1 = dec.feed(in.substr(k), body);
    }
    REQUIRE(r1.status == ChunkedDecoder::Status::Done);
    CHECK(body == "0123456789x");
    REQUIRE(dec.trailers().size() == 1);
    CHECK(dec.trailers()[0].first == "X-T");
  }
}

TEST_CASE("chunked: size rules", "[chunked][reject]") {
  require_error("6_0\r\n", "InvalidChunkSize");
  require_error("-5\r\n", "InvalidChunkSize");
  require_error("+5\r\n", "InvalidChunkSize");
  require_error("\r\n", "InvalidChunkSize");
  require_error("5 \r\nhello\r\n", "InvalidChunkSize");  // BWS only before an extension
  require_error("0x5\r\n", "InvalidChunkSize");
  require_error("10000000000000000\r\n", "InvalidChunkSize");  // beyond our 2^60 bound
  require_error(std::string(9000, '1'), "InvalidChunkSize");
}

TEST_CASE("chunked: extensions and terminators", "[chunked][reject]") {
  require_error("5;ext=val\rue\r\nhello\r\n0\r\n\r\n", "InvalidChunkExtension");
  require_error("5\r\nhelloXX", "ChunkMissingTerminator");
  require_error("5\r\nhello\n", "ChunkMissingTerminator");
  require_error("5\r\nhel", "NoMoreData");
  require_error("0\r\n", "ChunkMissingTerminator");          // EOF before the final CRLF
  require_error("0\r\nA: b\r\n", "ChunkMissingTerminator");  // EOF inside trailers
  require_error("5\r\nhello", "ChunkMissingTerminator");
}

TEST_CASE("chunked: trailer rules", "[chunked][reject]") {
  require_error("0\r\nContent-Length: 5\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nHost: x\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nTransfer-Encoding: chunked\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nTrailer: x\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nAuthorization: x\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nTE: x\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nBad Name: x\r\n\r\n", "InvalidHeaderName");
  require_error("0\r\nA: \x01\r\n\r\n", "InvalidHeader");
  require_error("0\r\nA: x\r\n folded\r\n\r\n", "ObsoleteFolding");
  ParserOptions refuse;
  refuse.header_map = HeaderMap::Refuse;
  require_error("0\r\nX_Y: x\r\n\r\n", "InvalidHeaderName", 400, &refuse);
  ParserOptions few;
  few.limit_request_fields = 1;
  require_error("0\r\nA: 1\r\nB: 2\r\n\r\n", "LimitRequestHeaders", 431, &few);
  // Expect in trailers is not an expectation
  ChunkedDecoder dec;
  std::string body;
  CHECK(dec.feed("0\r\nExpect: nope\r\nX_Dropped: 1\r\n\r\n", body).status ==
        ChunkedDecoder::Status::Done);
  CHECK(dec.trailers().size() == 1);
}

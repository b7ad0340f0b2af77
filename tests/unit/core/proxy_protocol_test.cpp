#include "core/http/proxy_protocol.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace gpp::core::http;

namespace {

const std::string kSig("\r\n\r\n\0\r\nQUIT\n", 12);

std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& addr) {
  std::string s = kSig;
  s += static_cast<char>(ver_cmd);
  s += static_cast<char>(fam);
  s += static_cast<char>(addr.size() >> 8);
  s += static_cast<char>(addr.size() & 0xff);
  return s + addr;
}

}  // namespace

TEST_CASE("proxy v1", "[proxy]") {
  const std::string in = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET";
  auto r = parse_proxy_header(in, ProxyMode::Auto, true);
  REQUIRE(r.status == ProxyStatus::Complete);
  CHECK(r.present);
  CHECK(r.consumed == in.size() - 3);
  CHECK(r.info.protocol() == "TCP4");
  CHECK(r.info.src_addr == "192.168.0.1");
  CHECK(r.info.dst_port == 443);
  auto six = parse_proxy_header("PROXY TCP6 ::1 ::2 1 2\r\n", ProxyMode::V1, true);
  CHECK(six.info.family == ProxyFamily::Tcp6);
  for (std::size_t k = 0; k + 3 < in.size(); ++k) {
    CHECK(parse_proxy_header(in.substr(0, k), ProxyMode::Auto, true).status ==
          ProxyStatus::NeedMore);
  }
}

TEST_CASE("proxy v1 rejections", "[proxy][reject]") {
  for (const char* bad : {"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY UNKNOWN\r\n",
                          "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
                          "PROXY TCP4 1.2.3.4 5.6.7.8 x 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
                          "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"}) {
    INFO(bad);
    auto r = parse_proxy_header(bad, ProxyMode::Auto, true);
    REQUIRE(r.status == ProxyStatus::Error);
    CHECK(r.error_class == "InvalidProxyLine");
    CHECK(r.http_status == 400);
  }
  auto longline = parse_proxy_header("PROXY " + std::string(200, 'x'), ProxyMode::V1, true);
  CHECK(longline.status == ProxyStatus::Error);
  auto forbidden =
      parse_proxy_header("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyMode::V1, false, "10.0.0.9");
  CHECK(forbidden.error_detail == "Proxy request from '10.0.0.9' not allowed");
  CHECK(forbidden.error_class == "ForbiddenProxyRequest");
  CHECK(forbidden.http_status == 403);
  // python int() spellings gunicorn accepts for ports
  CHECK(parse_proxy_header("PROXY TCP4 1.2.3.4 5.6.7.8 +1_0 0080\r\n", ProxyMode::V1, true)
            .info.src_port == 10);
}

TEST_CASE("proxy v2", "[proxy]") {
  const std::string a4("\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb", 12);
  auto r = parse_proxy_header(v2(0x21, 0x11, a4) + "GET", ProxyMode::V2, true);
  REQUIRE(r.status == ProxyStatus::Complete);
  CHECK(r.consumed == 28);
  CHECK(r.info.src_addr == "1.2.3.4");
  CHECK(r.info.dst_addr == "5.6.7.8");
  CHECK(r.info.src_port == 80);
  CHECK(r.info.dst_port == 443);
  auto local = parse_proxy_header(v2(0x20, 0x00, "xyz"), ProxyMode::Auto, true);
  CHECK(local.info.protocol() == "LOCAL");
  CHECK(local.consumed == 19);
  auto unspec = parse_proxy_header(v2(0x21, 0x01, ""), ProxyMode::Auto, true);
  CHECK(unspec.info.protocol() == "UNSPEC");
  CHECK_FALSE(unspec.info.has_addresses());
  const std::string whole = v2(0x21, 0x11, a4);
  for (std::size_t k = 0; k < whole.size(); ++k) {
    CHECK(parse_proxy_header(whole.substr(0, k), ProxyMode::Auto, true).status ==
          ProxyStatus::NeedMore);
  }
}

TEST_CASE("proxy v2 rejections", "[proxy][reject]") {
  for (const std::string& bad :
       {v2(0x11, 0x11, std::string(12, '\0')), v2(0x22, 0x11, std::string(12, '\0')),
        v2(0x21, 0x12, std::string(12, '\0')), v2(0x21, 0x11, std::string(11, '\0')),
        v2(0x21, 0x21, std::string(35, '\0')), v2(0x21, 0x31, std::string(216, '\0')),
        v2(0x21, 0x00, "")}) {
    auto r = parse_proxy_header(bad, ProxyMode::Auto, true);
    REQUIRE(r.status == ProxyStatus::Error);
    CHECK(r.error_class == "InvalidProxyHeader");
    CHECK(r.http_status == 400);
  }
}

TEST_CASE("proxy modes", "[proxy]") {
  const std::string v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
  CHECK_FALSE(parse_proxy_header(v1, ProxyMode::Off, true).present);
  CHECK_FALSE(parse_proxy_header(v1, ProxyMode::V2, true).present);
  CHECK(parse_proxy_header(v1, ProxyMode::V1, true).present);
  auto plain = parse_proxy_header("GET / HTTP/1.1\r\n", ProxyMode::Auto, true);
  CHECK(plain.status == ProxyStatus::Complete);
  CHECK_FALSE(plain.present);
  CHECK(plain.consumed == 0);
  CHECK(parse_proxy_header("G", ProxyMode::Auto, true).status == ProxyStatus::Complete);
  CHECK(proxy_mode_from_string("auto") == ProxyMode::Auto);
  CHECK_FALSE(proxy_mode_from_string("v3").has_value());
}

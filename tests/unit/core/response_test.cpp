#include "core/http/response.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <thread>

using namespace gpp::core::http;

TEST_CASE("error_response matches gunicorn util.write_error", "[response]") {
  // Bytes produced by gunicorn 26.1 util.write_error(sock, 400, "Bad Request",
  // "Invalid Method 'x<y'") (html.escape applied to the message).
  const std::string body =
      "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n"
      "    <h1><p>Bad Request</p></h1>\n    Invalid Method &#x27;x&lt;y&#x27;\n  </body>\n</html>\n";
  const std::string want = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                           "Content-Type: text/html\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body;
  CHECK(error_response(400, "Bad Request", "Invalid Method 'x<y'") == want);
  CHECK(error_response_for(400, "InvalidRequestMethod", "x<y") == want);
}

TEST_CASE("error page messages per class", "[response]") {
  CHECK(error_page_message("InvalidRequestLine", "d") == "Invalid Request Line 'd'");
  CHECK(error_page_message("InvalidHTTPVersion", "d") == "Invalid HTTP Version 'd'");
  CHECK(error_page_message("LimitRequestHeaders", "d") == "Error parsing headers: 'd'");
  CHECK(error_page_message("InvalidHeader", "d") == "d");
  CHECK(error_page_message("ForbiddenProxyRequest", "d") == "Request forbidden");
}

TEST_CASE("reason phrases", "[response]") {
  CHECK(reason_phrase(200) == "OK");
  CHECK(reason_phrase(431) == "Request Header Fields Too Large");
  CHECK(reason_phrase(414) == "URI Too Long");
  CHECK(reason_phrase(505) == "HTTP Version Not Supported");
  CHECK(reason_phrase(799) == "Unknown");
}

TEST_CASE("validators", "[response]") {
  CHECK(valid_status("200 OK"));
  CHECK(valid_status("404 "));
  CHECK(valid_status("200"));  // no reason phrase: gunicorn sends it
  CHECK(valid_status("404"));
  CHECK_FALSE(valid_status("20"));
  CHECK_FALSE(valid_status("2000"));
  CHECK_FALSE(valid_status("200\tOK"));
  CHECK_FALSE(valid_status(" 200 OK"));
  CHECK_FALSE(valid_status("200\r\n"));
  CHECK_FALSE(valid_status("20x OK"));
  CHECK_FALSE(valid_status("200 OK\r\nX: y"));
  CHECK(valid_header_name("X-Foo"));
  CHECK_FALSE(valid_header_name("X Foo"));
  CHECK_FALSE(valid_header_name(""));
  CHECK(valid_header_value("a\tb \xe9"));
  CHECK_FALSE(valid_header_value("a\r\nb"));
  CHECK_FALSE(valid_header_value(std::string("a\0b", 3)));
}

TEST_CASE("hop-by-hop is gunicorn's list", "[response]") {
  for (const char* h : {"Connection", "keep-alive", "Proxy-Authenticate", "proxy-authorization",
                        "TE", "Trailers", "Transfer-Encoding", "Upgrade", "Server", "Date"}) {
    CHECK(is_hop_by_hop(h));
  }
  CHECK(is_hop_by_hop(" connection "));
  CHECK_FALSE(is_hop_by_hop("Content-Length"));
  CHECK_FALSE(is_hop_by_hop("Trailer"));
}

TEST_CASE("http_date_now is an IMF-fixdate", "[response]") {
  const std::string d(http_date_now());
  CHECK(std::regex_match(d, std::regex("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
                                       "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                       "[0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT")));
  std::string other;
  std::thread t([&] { other = std::string(http_date_now()); });
  t.join();
  CHECK(other.size() == 29);
}

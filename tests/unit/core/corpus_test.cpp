// The gunicorn request corpus (tests/corpus/requests): every valid case
// parses to the fields its .json expects, every invalid case is rejected
// with the exception class and an accepted status, and splitting the bytes
// anywhere (or feeding them one at a time) changes nothing.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "corpus_support.hpp"

using namespace gpp::test;

namespace {

const std::vector<Case>& cases() {
  static const std::vector<Case> all = load_cases(GPP_CORPUS_DIR);
  return all;
}

// run_requests.py REJECT_STATUS: gunicorn 26.1's status plus the RFC one.
const std::map<std::string, std::set<int>>& reject_status() {
  static const std::map<std::string, std::set<int>> table = {
      {"InvalidRequestLine", {400}},     {"InvalidRequestMethod", {400}},
      {"InvalidHTTPVersion", {400, 505}}, {"InvalidHeader", {400}},
      {"InvalidHeaderName", {400}},      {"ObsoleteFolding", {400}},
      {"InvalidSchemeHeaders", {400}},   {"LimitRequestLine", {400, 414}},
      {"LimitRequestHeaders", {431, 400}}, {"UnsupportedTransferCoding", {501}},
      {"ExpectationFailed", {417}},      {"InvalidProxyLine", {400, 403}},
      {"InvalidProxyHeader", {400, 403}}, {"ForbiddenProxyRequest", {400, 403}},
      {"InvalidChunkSize", {400}},       {"InvalidChunkExtension", {400}},
      {"ChunkMissingTerminator", {400}}, {"NoMoreData", {400}},
  };
  return table;
}

Request expected_request(const Json& r) {
  Request q;
  q.method = r["method"].str;
  q.target = r["uri"]["raw"].str;
  q.path = r["uri"]["path"].str;
  q.query = r["uri"]["query"].str;
  q.fragment = r["uri"]["fragment"].str;
  q.major = static_cast<int>(r["version"].arr.at(0).num);
  q.minor = static_cast<int>(r["version"].arr.at(1).num);
  for (const Json& h : r["headers"].arr) q.headers.emplace_back(h.arr.at(0).str, h.arr.at(1).str);
  for (const Json& h : r["trailers"].arr) q.trailers.emplace_back(h.arr.at(0).str, h.arr.at(1).str);
  q.body = r["body"].str;
  return q;
}

}  // namespace

TEST_CASE("corpus is present", "[corpus]") {
  std::size_t valid = 0, invalid = 0;
  for (const Case& c : cases()) (c.kind == "valid" ? valid : invalid)++;
  CHECK(valid == 63);
  CHECK(invalid == 74);
}

TEST_CASE("corpus: valid requests parse to the expected fields", "[corpus]") {
  for (const Case& c : cases()) {
    if (c.kind != "valid") continue;
    INFO("valid/" << c.name);
    const Settings s = settings_from_cfg(c.meta["cfg"]);
    const StreamResult got = run_stream(c.data, s);
    CHECK_FALSE(got.error);
    INFO("error " << got.error_class << " " << got.status);
    const auto& want = c.meta["requests"].arr;
    REQUIRE(got.requests.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO("request " << i);
      const Request exp = expected_request(want[i]);
      const Request& r = got.requests[i];
      CHECK(r.method == exp.method);
      CHECK(r.target == exp.target);
      CHECK(r.path == exp.path);
      CHECK(r.query == exp.query);
      CHECK(r.fragment == exp.fragment);
      CHECK(r.major == exp.major);
      CHECK(r.minor == exp.minor);
      CHECK(r.headers == exp.headers);
      CHECK(r.body == exp.body);
      CHECK(r.trailers == exp.trailers);
    }
  }
}

TEST_CASE("corpus: invalid requests are rejected with gunicorn's class", "[corpus]") {
  for (const Case& c : cases()) {
    if (c.kind != "invalid") continue;
    const std::string want = c.meta["expect_exception"].str;
    INFO("invalid/" << c.name << " expects " << want);
    const Settings s = settings_from_cfg(c.meta["cfg"]);
    const StreamResult got = run_stream(c.data, s);
    INFO("got error=" << got.error << " class=" << got.error_class << " status=" << got.status
                      << " incomplete=" << got.incomplete << " requests=" << got.requests.size());
    if (want == "NoMoreData") {
      // gunicorn closes without answering when the client's EOF cuts a head short.
      CHECK((got.incomplete || got.error_class == want));
      continue;
    }
    REQUIRE(got.error);
    CHECK(got.error_class == want);
    const auto it = reject_status().find(want);
    const std::set<int> ok = it == reject_status().end() ? std::set<int>{400} : it->second;
    CHECK(ok.count(got.status) == 1);
  }
}

TEST_CASE("corpus grind: split at every byte boundary", "[corpus][grind]") {
  for (const Case& c : cases()) {
    INFO(c.kind << "/" << c.name);
    const Settings s = settings_from_cfg(c.meta["cfg"]);
    const StreamResult whole = run_stream(c.data, s);
    for (std::size_t k = 1; k < c.data.size(); ++k) {
      const StreamResult split = run_stream(c.data, s, {k});
      if (!(split == whole)) {
        INFO("split at " << k << ": class " << split.error_class << " vs " << whole.error_class);
        CHECK(split == whole);
        break;
      }
    }
  }
}

TEST_CASE("corpus grind: one byte at a time", "[corpus][grind]") {
  for (const Case& c : cases()) {
    INFO(c.kind << "/" << c.name);
    const Settings s = settings_from_cfg(c.meta["cfg"]);
    std::vector<std::size_t> cuts;
    for (std::size_t k = 1; k < c.data.size(); ++k) cuts.push_back(k);
    CHECK(run_stream(c.data, s, cuts) == run_stream(c.data, s));
  }
}

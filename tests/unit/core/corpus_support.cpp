#include "corpus_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/http/chunked_decoder.hpp"

namespace gpp::test {
namespace {

struct JsonReader {
  std::string_view s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  char peek() {
    ws();
    return i < s.size() ? s[i] : '\0';
  }
  void expect(char c) {
    if (peek() != c) throw std::runtime_error(std::string("json: expected ") + c);
    ++i;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = s[i++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          unsigned v = std::stoul(std::string(s.substr(i, 4)), nullptr, 16);
          i += 4;
          if (v > 0xff) throw std::runtime_error("json: non-latin-1 escape");
          out += static_cast<char>(v);
          break;
        }
        default: out += e;
      }
    }
    ++i;
    return out;
  }
  Json value() {
    Json j;
    char c = peek();
    if (c == '{') {
      j.kind = Json::Kind::Object;
      ++i;
      if (peek() == '}') {
        ++i;
        return j;
      }
      while (true) {
        std::string k = string();
        expect(':');
        j.obj[k] = value();
        if (peek() == ',') {
          ++i;
          continue;
        }
        expect('}');
        return j;
      }
    }
    if (c == '[') {
      j.kind = Json::Kind::Array;
      ++i;
      if (peek() == ']') {
        ++i;
        return j;
      }
      while (true) {
        j.arr.push_back(value());
        if (peek() == ',') {
          ++i;
          continue;
        }
        expect(']');
        return j;
      }
    }
    if (c == '"') {
      j.kind = Json::Kind::String;
      j.str = string();
      return j;
    }
    if (s.substr(i, 4) == "true") {
      i += 4;
      j.kind = Json::Kind::Bool;
      j.b = true;
      return j;
    }
    if (s.substr(i, 5) == "false") {
      i += 5;
      j.kind = Json::Kind::Bool;
      return j;
    }
    if (s.substr(i, 4) == "null") {
      i += 4;
      return j;
    }
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' ||
                            s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+')) {
      ++i;
    }
    j.kind = Json::Kind::Number;
    j.num = std::stod(std::string(s.substr(start, i - start)));
    return j;
  }
};

void upper(std::string& s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
}

}  // namespace

const Json& Json::operator[](const std::string& k) const {
  static const Json null;
  auto it = obj.find(k);
  return it == obj.end() ? null : it->second;
}

Json parse_json(std::string_view text) {
  JsonReader r{text};
  return r.value();
}

std::string decode_fixture(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\n') continue;  // real line breaks are layout
    if (c != '\\' || i + 1 >= raw.size()) {
      out += c;
      continue;
    }
    char e = raw[i + 1];
    if (e == 'r' && raw.substr(i, 4) == "\\r\\n") {
      out += "\r\n";
      i += 3;
    } else if (e == '0') {
      out += '\0';
      ++i;
    } else if (e == 'n') {
      out += '\n';
      ++i;
    } else if (e == 't') {
      out += '\t';
      ++i;
    } else if (e == 'x' || e == 'X') {
      out += static_cast<char>(std::stoul(std::string(raw.substr(i + 2, 2)), nullptr, 16));
      i += 3;
    } else {
      throw std::runtime_error("unexpected escape in fixture");
    }
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Case> load_cases(const std::string& dir) {
  std::vector<Case> cases;
  for (const char* kind : {"valid", "invalid"}) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/" + kind)) {
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      Case c;
      c.kind = kind;
      c.name = n;
      c.meta = parse_json(read_file(dir + "/" + kind + "/" + n + ".json"));
      c.data = decode_fixture(read_file(dir + "/" + kind + "/" + n + ".http"));
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

Settings settings_from_cfg(const Json& cfg) {
  using core::http::HeaderMap;
  Settings s;
  for (const auto& [k, v] : cfg.obj) {
    if (k == "limit_request_line") s.opts.limit_request_line = static_cast<std::size_t>(v.num);
    else if (k == "limit_request_fields") s.opts.limit_request_fields = static_cast<std::size_t>(v.num);
    else if (k == "limit_request_field_size") s.opts.limit_request_field_size = static_cast<std::size_t>(v.num);
    else if (k == "permit_unconventional_http_method") s.opts.permit_unconventional_http_method = v.b;
    else if (k == "permit_unconventional_http_version") s.opts.permit_unconventional_http_version = v.b;
    else if (k == "casefold_http_method") s.opts.casefold_http_method = v.b;
    else if (k == "permit_obsolete_folding") s.opts.permit_obsolete_folding = v.b;
    else if (k == "strip_header_spaces") s.opts.strip_header_spaces = v.b;
    else if (k == "header_map") s.opts.header_map = v.str == "refuse" ? HeaderMap::Refuse : v.str == "dangerous" ? HeaderMap::Dangerous : HeaderMap::Drop;
    else if (k == "forwarded_allow_ips") s.peer_trusted = v.str == "*";
    else if (k == "proxy_protocol") {
      s.proxy = v.kind == Json::Kind::Bool ? (v.b ? core::http::ProxyMode::Auto : core::http::ProxyMode::Off)
                                           : *core::http::proxy_mode_from_string(v.str);
    } else {
      throw std::runtime_error("unknown cfg key " + k);
    }
  }
  return s;
}

StreamResult run_stream(std::string_view data, const Settings& s,
                        const std::vector<std::size_t>& cuts) {
  using namespace core::http;
  StreamResult res;
  std::size_t avail = cuts.empty() ? data.size() : cuts[0];
  std::size_t next_cut = 1;
  // Make more bytes available; false at EOF.
  auto more = [&]() {
    if (avail >= data.size()) return false;
    avail = next_cut < cuts.size() ? cuts[next_cut++] : data.size();
    return true;
  };
  auto fail = [&](int status, std::string cls) {
    res.error = true;
    res.status = status;
    res.error_class = std::move(cls);
    return res;
  };
  std::size_t pos = 0;
  if (s.proxy != ProxyMode::Off) {
    while (true) {
      ProxyResult pr = parse_proxy_header(data.substr(0, avail), s.proxy, true);
      if (pr.status == ProxyStatus::Error) return fail(pr.http_status, pr.error_class);
      if (pr.status == ProxyStatus::Complete) {
        pos = pr.consumed;
        break;
      }
      if (!more()) {
        res.incomplete = true;
        return res;
      }
    }
  }
  RequestHead head;
  while (pos < data.size()) {
    ParseResult r;
    while (true) {
      r = parse_request_head(data.substr(pos, avail - pos), s.opts, s.peer_trusted, head);
      if (r.status != ParseStatus::NeedMore) break;
      if (!more()) {
        res.incomplete = true;
        return res;
      }
    }
    if (r.status == ParseStatus::Error) return fail(r.http_status, r.error_class);
    Request req;
    req.method = head.method;
    req.target = head.target;
    req.path = head.path;
    req.query = head.query;
    req.fragment = head.fragment;
    req.major = head.version_major;
    req.minor = head.version_minor;
    for (const Header& h : head.headers) {
      req.headers.emplace_back(h.name, h.value);
      upper(req.headers.back().first);
    }
    const bool keep_alive = head.keep_alive;
    const Framing framing = head.framing;
    const std::uint64_t length = head.content_length;
    pos += r.consumed;
    if (framing == Framing::Chunked) {
      ChunkedDecoder dec(s.opts);
      std::size_t fed = pos;  // bytes before this were given to the decoder
      while (true) {
        ChunkedDecoder::Result cr = dec.feed(data.substr(fed, avail - fed), req.body);
        if (cr.status == ChunkedDecoder::Status::Error) return fail(cr.http_status, cr.error_class);
        fed += cr.consumed;
        if (cr.status == ChunkedDecoder::Status::Done) break;
        if (!more()) {
          ChunkedDecoder::Result eof = dec.at_eof();
          return fail(eof.http_status, eof.error_class);
        }
      }
      pos = fed;
      for (const auto& t : dec.trailers()) {
        req.trailers.push_back(t);
        upper(req.trailers.back().first);
      }
    } else if (framing == Framing::ContentLength) {
      while (avail - pos < length && more()) {
      }
      const std::size_t take = std::min<std::uint64_t>(length, avail - pos);
      req.body = std::string(data.substr(pos, take));
      pos += take;
      if (take < length) res.incomplete = true;
    }
    res.requests.push_back(std::move(req));
    if (!keep_alive || res.incomplete) break;
  }
  return res;
}

}  // namespace gpp::test

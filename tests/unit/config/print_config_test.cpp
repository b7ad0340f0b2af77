#include "config/load.hpp"

#include <catch2/catch.hpp>

#include <sstream>

#include "config/setting_spec.hpp"

using namespace gpp::config;

namespace {
std::string line_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + " ")) return line;
  }
  return {};
}
}  // namespace

TEST_CASE("print_config: every setting, sorted, aligned, Python's str()", "[print_config]") {
  Config cfg = merge_sources(nullptr, nullptr, parse_command_line({"app:app"}, "cli"));
  const std::string text = print_config(cfg);
  CHECK(text.back() == '\n');
  std::istringstream in(text);
  std::string line, previous;
  std::size_t count = 0, width = 0;
  for (const auto& spec : settings_table()) width = std::max(width, spec.name.size());
  while (std::getline(in, line)) {
    ++count;
    const auto name = line.substr(0, line.find(' '));
    CHECK(previous < name);
    CHECK(line.substr(width, 3) == " = ");
    previous = name;
  }
  CHECK(count == settings_table().size());
  const std::string pad(width, ' ');
  auto expect = [&](const std::string& name, const std::string& value) {
    CHECK(line_of(text, name) == name + pad.substr(name.size()) + " = " + value);
  };
  expect("accesslog", "None");
  expect("bind", "['127.0.0.1:8000']");
  expect("workers", "1");
  expect("reload", "False");
  expect("suppress_ragged_eofs", "True");
  expect("dogstatsd_tags", "");
  expect("access_log_format", "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\"");
  expect("secure_scheme_headers",
         "{'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on'}");
  expect("on_starting", "<OnStarting.on_starting()>");
  expect("post_request", "<PostRequest.post_request()>");
  expect("default_proc_name", "app:app");
  expect("wsgi_app", "None");
  expect("sendfile", "None");
  expect("ssl_version", "2");
  expect("logconfig_dict", "{}");
  expect("forwarded_allow_ips", "['127.0.0.1', '::1']");
  expect("http_protocols", "['h1']");
}

TEST_CASE("print_config: values set from sources", "[print_config]") {
  RawSettings file{"c.py",
                   {{"on_starting", Callable{"<function on_starting at 0x7f00>", 1}},
                    {"when_ready", Callable{"<function Hooks.ready at 0x7f00>", 1}},
                    {"pre_fork", std::string("hooks.pre_fork")},
                    {"statsd_host", std::string("localhost:9125")},
                    {"raw_env", std::string("A=it's")}}};
  Config cfg = merge_sources(&file, nullptr, parse_command_line({"-b", "unix:/s", "-m", "027"}, "cli"));
  const std::string text = print_config(cfg);
  CHECK_THAT(line_of(text, "on_starting"), Catch::EndsWith(" = <on_starting()>"));
  CHECK_THAT(line_of(text, "when_ready"), Catch::EndsWith(" = <Hooks.ready()>"));
  CHECK_THAT(line_of(text, "pre_fork"), Catch::EndsWith(" = <pre_fork()>"));
  RawSettings post{"c.py", {{"post_request", Callable{"<function post_request at 0x1>", 3}}}};
  CHECK_THAT(line_of(print_config(merge_sources(&post, nullptr, CommandLine{})), "post_request"),
             Catch::EndsWith(" = <validate_post_request.<locals>.<lambda>()>"));
  CHECK_THAT(line_of(text, "statsd_host"), Catch::EndsWith(" = ('localhost', 9125)"));
  CHECK_THAT(line_of(text, "raw_env"), Catch::EndsWith(" = [\"A=it's\"]"));
  CHECK_THAT(line_of(text, "bind"), Catch::EndsWith(" = ['unix:/s']"));
  CHECK_THAT(line_of(text, "umask"), Catch::EndsWith(" = 23"));
}

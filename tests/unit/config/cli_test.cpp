#include "config/load.hpp"

#include <catch2/catch.hpp>

#include "cases.hpp"
#include "config/setting_spec.hpp"

using namespace gpp::config;
using Args = std::vector<std::string>;

namespace {

/// Parses `args` as the command line (or as GUNICORN_CMD_ARGS) and merges.
Config parse_and_merge(const Args& args, bool as_env) {
  if (as_env) {
    CommandLine env = parse_command_line(args, "GUNICORN_CMD_ARGS");
    return merge_sources(nullptr, &env, parse_command_line({"app:app"}, "command line"));
  }
  return merge_sources(nullptr, nullptr, parse_command_line(args, "command line"));
}

/// The exit status the pipeline fails with, 0 when it does not.
int failure_status(const Args& args, bool as_env, std::string* message = nullptr) {
  try {
    parse_and_merge(args, as_env);
  } catch (const ConfigError& e) {
    if (message) *message = e.what();
    return e.exit_status;
  }
  return 0;
}

bool takes_value(const SettingSpec& s) { return s.action == Action::store || s.action == Action::append; }

}  // namespace

TEST_CASE("every flag: a valid and an invalid case, from the CLI and GUNICORN_CMD_ARGS", "[cli]") {
  for (bool as_env : {false, true}) {
    for (const auto& spec : settings_table()) {
      for (auto flag : spec.cli) {
        const std::string f(flag);
        INFO(f << (as_env ? " (GUNICORN_CMD_ARGS)" : " (command line)"));
        Args valid{f};
        if (takes_value(spec)) valid.push_back(test::valid_cli_text(spec));
        Config cfg;
        REQUIRE_NOTHROW(cfg = parse_and_merge(valid, as_env));
        // (config only names the file; suppress_ragged_eofs' flag stores its default, True)
        if (spec.name != "config" && spec.name != "suppress_ragged_eofs") CHECK(cfg.is_set(spec.name));
        // --flag=value works for value flags, and is an error for the others
        if (takes_value(spec) && f.starts_with("--")) {
          CHECK(failure_status({f + "=" + test::valid_cli_text(spec)}, as_env) == 0);
        }
        std::string message;
        if (!takes_value(spec)) {
          CHECK(failure_status({f + "=x"}, as_env, &message) == 2);
          CHECK_THAT(message, Catch::Contains("ignored explicit argument"));
        } else if (!spec.optional_arg) {
          CHECK(failure_status({f}, as_env, &message) == 2);
          CHECK_THAT(message, Catch::EndsWith("expected one argument"));
        }
        if (auto bad = test::invalid_cli_text(spec); bad && takes_value(spec)) {
          CHECK(failure_status({f, *bad}, as_env, &message) == 2);
          CHECK_THAT(message, Catch::StartsWith("usage: gunicornpp [OPTIONS] [APP_MODULE]\ngunicornpp: error: argument " +
                                                flags_label(spec) + ": "));
        }
      }
    }
  }
}

TEST_CASE("argparse wording", "[cli]") {
  std::string m;
  CHECK(failure_status({"-w", "x", "app:app"}, false, &m) == 2);
  CHECK(m == "usage: gunicornpp [OPTIONS] [APP_MODULE]\ngunicornpp: error: argument -w/--workers: invalid int value: 'x'");
  CHECK(failure_status({"--bogus", "app:app"}, false, &m) == 2);
  CHECK_THAT(m, Catch::EndsWith("error: unrecognized arguments: --bogus"));
  CHECK(failure_status({"--wor", "3"}, false, &m) == 2);
  CHECK_THAT(m, Catch::EndsWith(
                    "error: ambiguous option: --wor could match --workers, --worker-class, "
                    "--worker-connections, --worker-tmp-dir"));
  CHECK(failure_status({"-m", "0x1g"}, false, &m) == 2);
  CHECK_THAT(m, Catch::EndsWith("argument -m/--umask: invalid auto_int value: '0x1g'"));
  CHECK(failure_status({"a:b", "-w", "2", "c:d"}, false, &m) == 2);
  CHECK_THAT(m, Catch::EndsWith("unrecognized arguments: c:d"));
  CHECK(failure_status({"-Dx"}, false, &m) == 2);
  CHECK_THAT(m, Catch::EndsWith("argument -D/--daemon: ignored explicit argument 'x'"));
  CHECK(failure_status({"--limit-request-field-size", "3"}, false, &m) == 2);
}

TEST_CASE("argparse forms", "[cli]") {
  auto cl = parse_command_line({"-w3", "--threads=4", "-DR", "--log-f", "/tmp/e.log", "app:app", "extra"}, "command line");
  CHECK(cl.app_uri == "app:app");
  Config cfg = merge_sources(nullptr, nullptr, cl);
  CHECK(cfg.get_int("workers") == 3);
  CHECK(cfg.get_int("threads") == 4);
  CHECK(cfg.get_bool("daemon"));
  CHECK(cfg.get_bool("enable_stdio_inheritance"));
  CHECK(cfg.get_string("errorlog") == "/tmp/e.log");
  CHECK(cfg.get_string("default_proc_name") == "app:app");
  CHECK(cfg.app_uri == "app:app");

  cfg = merge_sources(nullptr, nullptr, parse_command_line({"-b", ":1", "--bind", "unix:/s", "-e", "A=1", "-e", "B=2"}, "cli"));
  CHECK(cfg.get_list("bind") == StringList{":1", "unix:/s"});
  CHECK(cfg.get_list("raw_env") == StringList{"A=1", "B=2"});

  cfg = merge_sources(nullptr, nullptr, parse_command_line({"-m", "027", "-w=2", "-Dw5"}, "cli"));
  CHECK(cfg.get_int("umask") == 027);
  CHECK(cfg.get_int("workers") == 5);

  // --proxy-protocol [MODE]: alone means auto, and it takes a following word
  cfg = merge_sources(nullptr, nullptr, parse_command_line({"--proxy-protocol", "-w", "2"}, "cli"));
  CHECK(cfg.get_string("proxy_protocol") == "auto");
  cfg = merge_sources(nullptr, nullptr, parse_command_line({"--proxy-protocol", "v1", "app:app"}, "cli"));
  CHECK(cfg.get_string("proxy_protocol") == "v1");
  CHECK(failure_status({"--proxy-protocol", "app:app"}, false) == 2);  // as gunicorn 26.1

  cfg = merge_sources(nullptr, nullptr, parse_command_line({"--no-sendfile", "--", "-w"}, "cli"));
  CHECK(cfg.get("sendfile") == Value{false});
  CHECK_FALSE(cfg.sendfile());
  CHECK(cfg.app_uri == "-w");

  CHECK(failure_status({"-w", "-1"}, false) == 2);  // "-1" is a value; the validator rejects it
}

TEST_CASE("-h and -v stop parsing", "[cli]") {
  CHECK(parse_command_line({"-w", "2", "-v", "--bogus"}, "cli").show_version);
  CHECK(parse_command_line({"--help", "--bogus"}, "cli").show_help);
  CHECK(version_text() == "gunicornpp (version 0.1.0)");
  const std::string help = help_text();
  CHECK_THAT(help, Catch::StartsWith("usage: gunicornpp [OPTIONS] [APP_MODULE]\n"));
  CHECK_THAT(help, Catch::Contains("\nWorker Processes:\n"));
  CHECK_THAT(help, Catch::Contains("  -w INT, --workers INT\n"));
  CHECK_THAT(help, Catch::Contains("--proxy-protocol [MODE]"));
  CHECK_THAT(help, Catch::Contains("[30]"));
}

TEST_CASE("split_shell_words is shlex.split", "[cli][shlex]") {
  CHECK(split_shell_words("  -w 3  --bind=':80' ") == Args{"-w", "3", "--bind=:80"});
  CHECK(split_shell_words(R"(a "b\c" \d "e\"f" 'g\h' "")") == Args{"a", "b\\c", "d", "e\"f", "g\\h", ""});
  CHECK(split_shell_words("x'y z'w") == Args{"xy zw"});
  CHECK(split_shell_words("") == Args{});
  CHECK_THROWS_AS(split_shell_words("'open"), ConfigError);
  CHECK_THROWS_AS(split_shell_words("trail\\"), ConfigError);
}

// Introspection generated from the table: --print-config (gunicorn's
// Config.__str__), --help (argparse's layout, grouped by section), --version
// and docs/settings.md.
#include <algorithm>

#include "config/load.hpp"
#include "config/pyformat.hpp"
#include "config/setting_spec.hpp"
#include "config/validators.hpp"

namespace gpp::config {
namespace {

/// A callable's __qualname__ from whatever the shim put in Callable::repr.
std::string qualname(std::string_view repr) {
  auto between = [&](std::string_view open, std::string_view close) -> std::optional<std::string> {
    if (!repr.starts_with(open)) return std::nullopt;
    auto rest = repr.substr(open.size());
    return std::string(rest.substr(0, rest.find(close)));
  };
  if (auto q = between("<function ", " at ")) return *q;
  if (auto q = between("<bound method ", " of ")) return *q;
  if (auto q = between("<built-in function ", ">")) return *q;
  if (auto q = between("<class '", "'>")) return q->substr(q->rfind('.') + 1);
  return std::string(repr);
}

/// gunicorn stores statsd_host as util.parse_address's result and prints that.
std::string statsd_repr(const std::string& a) {
  if (a.starts_with("unix:")) {
    std::string rest = a.substr(a.starts_with("unix://") ? 7 : 5);
    if (!a.starts_with("unix://") && py_int(rest, 10)) return "('unix', " + rest + ")";
    return py_repr_string(rest);
  }
  if (a.starts_with("fd://")) return a.substr(5);
  std::string hp = a.starts_with("tcp://") ? a.substr(6) : a;
  std::string host = hp, port = "8125";
  if (!hp.empty() && hp[0] == '[') {
    const auto close = hp.find(']');
    host = hp.substr(1, close - 1);
    if (close + 1 < hp.size() && hp[close + 1] == ':') port = hp.substr(close + 2);
  } else if (const auto colon = hp.find(':'); colon != std::string::npos) {
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  return "(" + py_repr_string(host) + ", " + std::to_string(py_int(port, 10).value_or(0)) + ")";
}

/// str() of a setting's value as gunicorn's print shows it.
std::string printed_value(const SettingSpec& spec, const Value& v) {
  if (const auto* c = std::get_if<Callable>(&v)) {
    // gunicorn wraps a post_request taking 2 or 3 arguments in a lambda
    if (spec.validator == &validators::post_request && (c->arity == 2 || c->arity == 3)) {
      return "<validate_post_request.<locals>.<lambda>()>";
    }
    return "<" + qualname(c->repr) + "()>";
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (is_hook_spec(spec)) return "<" + s->substr(s->rfind('.') + 1) + "()>";  // import string
    if (spec.name == "statsd_host") return statsd_repr(*s);
  }
  return py_str(v);
}

/// The raw default as gunicorn shows it in --help ("[%s]" of Setting.default).
std::string help_default(const SettingSpec& spec) {
  if (spec.name == "chdir") return ".";
  const Value raw = spec.default_fn ? spec.default_fn() : spec.default_value;
  if (is_hook_spec(spec)) return printed_value(spec, raw);
  return py_str(raw);
}

/// Word-wraps `text` to `width` columns.
std::vector<std::string> wrap(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto space = text.find(' ', pos);
    const auto word = text.substr(pos, space == std::string_view::npos ? std::string_view::npos : space - pos);
    pos = space == std::string_view::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

/// One argparse help entry: "  -w INT, --workers INT" + help at column 24.
void help_entry(std::string& out, const std::string& invocation, const std::string& help) {
  constexpr std::size_t kColumn = 24, kWidth = 78;
  std::string head = "  " + invocation;
  const auto lines = wrap(help, kWidth - kColumn);
  if (head.size() <= kColumn - 2) {
    head.resize(kColumn, ' ');
  } else {
    head += '\n' + std::string(kColumn, ' ');
  }
  out += head;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += std::string(kColumn, ' ');
    out += lines[i] + '\n';
  }
  if (lines.empty()) out += '\n';
}

std::string invocation(const SettingSpec& spec) {
  std::string out;
  const bool takes_value = spec.action == Action::store || spec.action == Action::append;
  for (auto flag : spec.cli) {
    if (!out.empty()) out += ", ";
    out += flag;
    if (spec.optional_arg) {
      out += " [" + metavar(spec) + "]";
    } else if (takes_value) {
      out += " " + metavar(spec);
    }
  }
  return out;
}

std::string markdown_default(const SettingSpec& spec) {
  if (!spec.default_doc.empty()) return std::string(spec.default_doc);
  if (is_hook_spec(spec)) {
    return "a no-op taking " + std::to_string(spec.arity) + (spec.arity == 1 ? " argument" : " arguments");
  }
  return py_repr(spec.default_value);
}

}  // namespace

std::string print_config(const Config& cfg) {
  std::vector<const SettingSpec*> specs;
  std::size_t width = 0;
  for (const auto& spec : settings_table()) {
    specs.push_back(&spec);
    width = std::max(width, spec.name.size());
  }
  std::sort(specs.begin(), specs.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::string out;
  for (const auto* spec : specs) {
    std::string name(spec->name);
    name.resize(width, ' ');
    out += name + " = " + printed_value(*spec, cfg.get(spec->name)) + '\n';
  }
  return out;  // ends with '\n', as gunicorn's print(cfg)
}

std::string version_text() { return "gunicornpp (version " + std::string(kVersion) + ")"; }

std::string help_text() {
  std::string out = std::string(kUsage) + "\n\npositional arguments:\n";
  help_entry(out, "APP_MODULE", "A WSGI application path in pattern $(MODULE_NAME):$(VARIABLE_NAME).");
  out += "\noptions:\n";
  help_entry(out, "-h, --help", "show this help message and exit");
  help_entry(out, "-v, --version", "show program's version number and exit");
  for (auto section : section_names()) {
    std::string block;
    for (const auto& spec : settings_table()) {
      if (spec.section != section || spec.cli.empty()) continue;
      help_entry(block, invocation(spec), std::string(short_doc(spec)) + " [" + help_default(spec) + "]");
    }
    if (!block.empty()) out += "\n" + std::string(section) + ":\n" + block;
  }
  return out;
}

std::string settings_markdown() {
  std::string out =
      "# Settings\n\n"
      "<!-- Generated from config/settings_table.cpp by gunicornpp-docgen. Do not edit. -->\n\n"
      "gunicornpp reads every setting of gunicorn 26.1 (plus `http2_cleartext` from gunicorn's HEAD)\n"
      "under gunicorn's names and flags, and a few of its own. Sources, lowest to highest precedence:\n"
      "the defaults (some from `$PORT`, `$WEB_CONCURRENCY`, `$FORWARDED_ALLOW_IPS`, `$SENDFILE`), the\n"
      "config file (`-c FILE`, `-c file:FILE`, `-c python:MODULE`, `-c FILE.toml`, else\n"
      "`./gunicorn.conf.py` when present), `$GUNICORN_CMD_ARGS`, the command line.\n\n"
      "A bad value on the command line or in `GUNICORN_CMD_ARGS` is a usage error (exit 2);\n"
      "a bad value in a config file is one line naming the setting and the file (exit 1).\n"
      "In a TOML file the keys are setting names; an unknown key is an error.\n\n"
      "## Not yet supported\n\n"
      "These settings are accepted and validated, but their behaviour is not implemented yet;\n"
      "gunicornpp logs a warning at start for each one that is set away from its default:\n\n";
  for (auto section : section_names()) {
    std::string names;
    for (const auto& spec : settings_table()) {
      if (spec.section == section && spec.support == kNotYet) {
        names += (names.empty() ? "" : ", ") + ("`" + std::string(spec.name) + "`");
      }
    }
    if (!names.empty()) out += "- " + std::string(section) + ": " + names + "\n";
  }
  for (auto section : section_names()) {
    out += "\n## " + std::string(section) + "\n";
    for (const auto& spec : settings_table()) {
      if (spec.section != section) continue;
      out += "\n### `" + std::string(spec.name) + "`\n\n";
      if (spec.cli.empty()) {
        out += "- Command line: none (config file only)\n";
      } else {
        out += "- Command line: `" + invocation(spec) + "`\n";
      }
      out += "- Default: `" + markdown_default(spec) + "`\n";
      out += std::string("- Status: ") + (spec.support == kImplemented ? "implemented" : "**not yet supported**") + "\n";
      if (spec.ours) {
        out += "- Origin: gunicornpp addition\n";
      } else if (!spec.since.empty()) {
        out += "- Origin: gunicorn " + std::string(spec.since) + "\n";
      }
      out += "\n" + std::string(spec.doc) + "\n";
    }
  }
  return out;
}

}  // namespace gpp::config

// The command line and GUNICORN_CMD_ARGS: an argparse-compatible parser
// generated from the settings table (not Boost.Program_Options, which cannot
// reproduce argparse's prefix abbreviations, "ambiguous option" errors,
// nargs='?' flags, short-flag clusters or its exact error texts), and
// shlex.split for GUNICORN_CMD_ARGS.
#include <algorithm>
#include <regex>

#include "config/load.hpp"
#include "config/pyformat.hpp"
#include "config/setting_spec.hpp"

namespace gpp::config {
namespace {

enum class Kind { setting, help, version };

struct Option {
  std::string_view flag;
  Kind kind;
  const SettingSpec* spec;  ///< null for -h/-v
};

/// Every option string in argparse's registration order: -h, --help, -v, --version, settings.
const std::vector<Option>& options() {
  static const std::vector<Option> all = [] {
    std::vector<Option> out{{"-h", Kind::help, nullptr},
                            {"--help", Kind::help, nullptr},
                            {"-v", Kind::version, nullptr},
                            {"--version", Kind::version, nullptr}};
    for (const auto& spec : settings_table()) {
      for (auto flag : spec.cli) out.push_back({flag, Kind::setting, &spec});
    }
    return out;
  }();
  return all;
}

const Option* exact_option(std::string_view flag) {
  for (const auto& o : options()) {
    if (o.flag == flag) return &o;
  }
  return nullptr;
}

[[noreturn]] void usage_error(const std::string& what) {
  throw ConfigError(std::string(kUsage) + "\ngunicornpp: error: " + what, 2);
}

std::string label(const Option& o) {
  if (o.kind == Kind::help) return "-h/--help";
  if (o.kind == Kind::version) return "-v/--version";
  return flags_label(*o.spec);
}

/// How many values the option takes: 0, 1, or optional (-1).
int arg_count(const Option& o) {
  if (o.kind != Kind::setting) return 0;
  if (o.spec->optional_arg) return -1;
  return (o.spec->action == Action::store || o.spec->action == Action::append) ? 1 : 0;
}

/// argparse's classification of one argument: an option (with maybe an
/// explicit "=value"), an unknown option (goes to extras), or a positional.
struct Classified {
  enum { positional, option, unknown } what = positional;
  const Option* option_ptr = nullptr;
  std::optional<std::string> explicit_arg;
};

Classified classify(const std::string& arg) {
  Classified c;
  if (arg.empty() || arg[0] != '-') return c;
  if (const Option* o = exact_option(arg)) {
    c.what = Classified::option;
    c.option_ptr = o;
    return c;
  }
  if (arg.size() == 1) return c;  // "-" is a positional
  if (const auto eq = arg.find('='); eq != std::string::npos) {
    if (const Option* o = exact_option(std::string_view(arg).substr(0, eq))) {
      c.what = Classified::option;
      c.option_ptr = o;
      c.explicit_arg = arg.substr(eq + 1);
      return c;
    }
  }
  // prefix matches (allow_abbrev), as argparse's _get_option_tuples
  std::vector<std::pair<const Option*, std::optional<std::string>>> matches;
  if (arg.size() > 1 && arg[1] == '-') {
    const auto eq = arg.find('=');
    const std::string prefix = arg.substr(0, eq);
    std::optional<std::string> explicit_arg;
    if (eq != std::string::npos) explicit_arg = arg.substr(eq + 1);
    for (const auto& o : options()) {
      if (o.flag.starts_with(prefix)) matches.emplace_back(&o, explicit_arg);
    }
  } else {
    const std::string short_prefix = arg.substr(0, 2);
    for (const auto& o : options()) {
      if (o.flag == short_prefix) {
        matches.emplace_back(&o, arg.substr(2));
      } else if (o.flag.starts_with(arg)) {
        matches.emplace_back(&o, std::nullopt);
      }
    }
  }
  if (matches.size() > 1) {
    std::string names;
    for (const auto& [o, _] : matches) names += (names.empty() ? "" : ", ") + std::string(o->flag);
    usage_error("ambiguous option: " + arg + " could match " + names);
  }
  if (matches.size() == 1) {
    c.what = Classified::option;
    c.option_ptr = matches[0].first;
    c.explicit_arg = matches[0].second;
    return c;
  }
  static const std::regex negative_number(R"(^-\d+$|^-\d*\.\d+$)");
  if (std::regex_match(arg, negative_number)) return c;
  if (arg.find(' ') != std::string::npos) return c;
  c.what = Classified::unknown;
  return c;
}

/// argparse `type=` conversion of a flag's text.
Value convert(const Option& o, const std::string& text) {
  const SettingSpec& spec = *o.spec;
  if (spec.cli_type == CliType::str) return text;
  std::optional<std::int64_t> n;
  if (spec.cli_type == CliType::int_) {
    n = py_int(text, 10);
  } else {
    // gunicorn's auto_int: "027" is octal
    std::string t = text;
    if (t.size() >= 2 && t[0] == '0' && std::isdigit(static_cast<unsigned char>(t[1]))) t.replace(0, 1, "0o");
    n = py_int(t, 0);
  }
  if (!n) {
    usage_error("argument " + label(o) + ": invalid " +
                (spec.cli_type == CliType::int_ ? "int" : "auto_int") + " value: " + py_repr_string(text));
  }
  return *n;
}

/// Applies one occurrence of a setting option to the parse result.
void take(CommandLine& out, const Option& o, const std::optional<Value>& value) {
  const SettingSpec& spec = *o.spec;
  auto& values = out.settings.values;
  Value v;
  switch (spec.action) {
    case Action::store_true: v = true; break;
    case Action::store_const: v = spec.cli_const; break;
    case Action::store: v = value ? *value : spec.cli_const; break;
    case Action::append: {
      StringList list;
      for (auto it = values.rbegin(); it != values.rend(); ++it) {
        if (it->name == spec.name) {
          list = std::get<StringList>(it->value);
          break;
        }
      }
      list.push_back(std::get<std::string>(*value));
      v = std::move(list);
      break;
    }
  }
  if (spec.name == "config") out.config_path = std::get<std::string>(v);
  values.push_back({std::string(spec.name), std::move(v)});
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args, std::string_view source) {
  CommandLine out;
  out.settings.source = std::string(source);
  std::vector<std::string> extras;
  StringList positionals;
  bool positionals_done = false;  // argparse consumes one run of positionals into `args`
  bool in_run = false;
  bool after_double_dash = false;

  auto positional = [&](const std::string& a) {
    if (positionals_done && !in_run) {
      extras.push_back(a);
      return;
    }
    positionals_done = true;
    in_run = true;
    positionals.push_back(a);
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (after_double_dash) {
      positional(arg);
      continue;
    }
    if (arg == "--") {
      after_double_dash = true;
      positional(arg);  // argparse removes the first "--" of the run below
      continue;
    }
    const Classified c = classify(arg);
    if (c.what == Classified::positional) {
      positional(arg);
      continue;
    }
    in_run = false;
    if (c.what == Classified::unknown) {
      extras.push_back(arg);
      continue;
    }
    const Option* o = c.option_ptr;
    std::optional<std::string> explicit_arg = c.explicit_arg;
    // short-flag clusters: -DR, -Dw3
    while (explicit_arg && arg_count(*o) == 0 && o->flag.size() == 2 && !explicit_arg->empty()) {
      const Option* next = exact_option(std::string("-") + (*explicit_arg)[0]);
      if (o->kind != Kind::setting) break;
      take(out, *o, std::nullopt);
      if (!next) usage_error("argument " + label(*o) + ": ignored explicit argument " + py_repr_string(*explicit_arg));
      std::string rest = explicit_arg->substr(1);
      explicit_arg = rest.empty() ? std::nullopt : std::optional<std::string>(rest);
      o = next;
    }
    if (o->kind == Kind::help || o->kind == Kind::version) {
      if (explicit_arg) usage_error("argument " + label(*o) + ": ignored explicit argument " + py_repr_string(*explicit_arg));
      (o->kind == Kind::help ? out.show_help : out.show_version) = true;
      return out;  // argparse prints and exits right here
    }
    const int count = arg_count(*o);
    std::optional<Value> value;
    if (explicit_arg) {
      if (count == 0) usage_error("argument " + label(*o) + ": ignored explicit argument " + py_repr_string(*explicit_arg));
      value = convert(*o, *explicit_arg);
    } else if (count != 0) {
      const bool next_is_value = i + 1 < args.size() && args[i + 1] != "--" &&
                                 classify(args[i + 1]).what == Classified::positional;
      if (next_is_value) {
        value = convert(*o, args[++i]);
      } else if (count == 1) {
        usage_error("argument " + label(*o) + ": expected one argument");
      }
    }
    take(out, *o, value);
  }
  if (auto dd = std::find(positionals.begin(), positionals.end(), "--"); dd != positionals.end()) {
    positionals.erase(dd);
  }
  if (!extras.empty()) {
    std::string joined;
    for (const auto& e : extras) joined += (joined.empty() ? "" : " ") + e;
    usage_error("unrecognized arguments: " + joined);
  }
  if (!positionals.empty()) out.app_uri = positionals.front();
  return out;
}

std::vector<std::string> split_shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_space(c)) {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) usage_error("GUNICORN_CMD_ARGS: No escaped character");
      cur += text[++i];
      in_word = true;
    } else if (c == '\'' || c == '"') {
      in_word = true;
      std::size_t j = i + 1;
      for (;; ++j) {
        if (j >= text.size()) usage_error("GUNICORN_CMD_ARGS: No closing quotation");
        if (text[j] == c) break;
        if (c == '"' && text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) {
          ++j;
        }
        cur += text[j];
      }
      i = j;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

}  // namespace gpp::config

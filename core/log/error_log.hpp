#pragma once
// gunicorn's error log: "[%Y-%m-%d %H:%M:%S %z] [pid] [LEVEL] message" lines
// to stderr ("-") or a file, filtered by loglevel, reopened on USR1.
// One process-wide sink; safe to call from several threads.
#include <cstdio>
#include <string>
#include <string_view>

namespace gpp::core::log {

enum class Level { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

/// Parse gunicorn's loglevel names (debug, info, warning, error, critical).
[[nodiscard]] bool parse_level(std::string_view name, Level& out) noexcept;

/// Configure the sink: `path` "-" means stderr. Returns false (and keeps
/// stderr) when the file cannot be opened.
bool configure(const std::string& path, Level level);
/// Reopen every log file (USR1): the error log (no-op for stderr), the
/// access log, the capture_output redirection, and whatever was registered
/// with on_reopen (Python logging's FileHandlers).
void reopen();
/// capture_output: point fds 1 and 2 at the error log file (kept across
/// reopen). No-op when the error log is stderr, as gunicorn.
void capture_output();
/// Run `hook` at the end of every reopen() (one hook; a later call replaces it).
void on_reopen(void (*hook)());
[[nodiscard]] Level level() noexcept;
[[nodiscard]] bool enabled(Level level) noexcept;
/// The fd lines are written to (for capture_output / stdio redirection).
[[nodiscard]] int fd() noexcept;

/// Write one formatted line (multi-line messages are written as given).
/// WARNING and above also count gunicorn.log.<level> in statsd.
void write(Level level, std::string_view message);
/// gunicorn's log.exception: an ERROR line counted as gunicorn.log.exception.
void exception(std::string_view message);
/// Route write()/exception() through `fn` instead of the file (Python
/// logging, when syslog or a logging config is in use); nullptr: direct.
void set_forwarder(void (*fn)(Level level, std::string_view message));
/// Append already formatted text (Python logging records) under the same lock.
void write_raw(std::string_view text);

inline void debug(std::string_view m) { if (enabled(Level::Debug)) write(Level::Debug, m); }
inline void info(std::string_view m) { if (enabled(Level::Info)) write(Level::Info, m); }
inline void warning(std::string_view m) { write(Level::Warning, m); }
inline void error(std::string_view m) { write(Level::Error, m); }
inline void critical(std::string_view m) { write(Level::Critical, m); }

}  // namespace gpp::core::log

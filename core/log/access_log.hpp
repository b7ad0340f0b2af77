#pragma once
// The access-log sink: whole lines appended to a file, or stdout for "-"
// (gunicorn's accesslog). Off until configured. Reopened with the error log
// on USR1 (core::log::reopen()). One write(2) per line, so lines from
// processes sharing the file (O_APPEND) never interleave.
#include <string>
#include <string_view>

namespace gpp::core::log::access {

/// Open `path` ("-": stdout). Returns false when the file cannot be opened.
bool configure(const std::string& path);
/// Close the file (accesslog unset).
void disable();
[[nodiscard]] bool enabled() noexcept;
/// Reopen the file (USR1); no-op for stdout or when off.
void reopen();
/// Log one access line: through the forwarder when one is set, else
/// appended plus '\n' to the file. `line` may be modified.
void write_line(std::string& line);
/// Append already formatted text (Python's gunicorn.access records) to the file.
void write_direct(std::string_view text);
/// Route write_line() through `fn` (Python logging, when syslog or a logging
/// config is in use); the sink then counts as enabled even without a file.
void set_forwarder(void (*fn)(std::string_view line));

}  // namespace gpp::core::log::access

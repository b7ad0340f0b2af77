#pragma once
// gunicorn's statsd client (instrument/statsd.py), in C++: datagrams
// "<prefix><name>:<value>|<type>" (+ "|#<dogstatsd tags>") over a connected
// UDP or unix datagram socket, fire-and-forget. Off until configured.
#include <string>
#include <string_view>

namespace gpp::core::log::statsd {

/// `address` as statsd_host holds it: "HOST[:PORT]" (default port 8125),
/// "[v6]:PORT", "unix:PATH" or "unix://PATH". `prefix` gets gunicorn's
/// trailing-dot rule. Returns false (and stays off) when the address cannot
/// be used, as gunicorn then silently sends nothing.
bool configure(std::string_view address, std::string_view prefix, std::string_view dogstatsd_tags);
void disable();
[[nodiscard]] bool enabled() noexcept;

/// "name:value|c|@1.0"
void increment(std::string_view name, long long value = 1);
/// "name:value|g"
void gauge(std::string_view name, long long value);
/// "name:value|ms" where value is milliseconds printed as Python prints a float.
void timer_us(std::string_view name, long long microseconds);
/// "name:value|h"
void histogram(std::string_view name, long long value);

/// gunicorn's prefix normalisation: "app" -> "app.", "app..." -> "app.",
/// "" -> "", and (a quirk of its regex) a single character stays as is.
[[nodiscard]] std::string normalise_prefix(std::string_view prefix);
/// Milliseconds as Python's repr(float(us) / 1000): "0.512", "12.0", "1234.567".
[[nodiscard]] std::string milliseconds_text(long long microseconds);

}  // namespace gpp::core::log::statsd

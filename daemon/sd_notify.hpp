#pragma once
// systemd's notify protocol without libsystemd: one datagram to $NOTIFY_SOCKET
// (a path, or "@name" for the abstract namespace). No-op when it is unset.
#include <string_view>

namespace gpp::daemon {

/// Send e.g. "READY=1\nSTATUS=..." ; returns false when not under systemd or on error.
bool sd_notify(std::string_view state);

}  // namespace gpp::daemon

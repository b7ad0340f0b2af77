#pragma once
// Blocking socket I/O for the sync worker: every wait is a poll() bounded by
// a timeout, so a silent client cannot hold the worker forever.
#include <cstddef>
#include <string>
#include <string_view>

namespace gpp::workers {

/// Write all bytes; false on error or when the peer is gone.
bool write_all(int fd, std::string_view bytes, int timeout_ms);
/// Read what is available (up to `max`) after waiting up to `timeout_ms`.
/// Returns bytes read, 0 on EOF, -1 on error or timeout.
long read_some(int fd, std::string& out, std::size_t max, int timeout_ms);

}  // namespace gpp::workers

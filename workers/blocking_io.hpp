#pragma once
// Blocking socket I/O for the sync worker: every wait is a poll() bounded by
// a timeout, so a silent client cannot hold the worker forever. Sends and
// receives pass MSG_DONTWAIT, so the fd may be blocking (gunicorn.socket is,
// as in gunicorn) or not; sendfile(2) is bounded by SO_SNDTIMEO instead.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace gpp::workers {

/// Write all bytes; false on error or when the peer is gone.
bool write_all(int fd, std::string_view bytes, int timeout_ms);
/// sendfile(2) `count` bytes of `file_fd` from `offset` to the socket `fd`,
/// waiting up to `timeout_ms` whenever the socket is full. False on error,
/// timeout, or a file shorter than promised.
bool send_file_all(int fd, int file_fd, off_t offset, std::size_t count, int timeout_ms);

enum class SendFileStatus { Done, WouldBlock, Failed };
/// The non-blocking step of send_file_all: sendfile(2) until `count` bytes
/// are sent (Done), the socket is full (WouldBlock: wait for writability and
/// call again), or an error / a file shorter than promised (Failed).
/// Advances `offset` and decreases `count`.
SendFileStatus send_file_some(int fd, int file_fd, off_t& offset, std::size_t& count);
/// Read what is available (up to `max`) after waiting up to `timeout_ms`.
/// Returns bytes read, 0 on EOF, -1 on error or timeout.
long read_some(int fd, std::string& out, std::size_t max, int timeout_ms);

}  // namespace gpp::workers

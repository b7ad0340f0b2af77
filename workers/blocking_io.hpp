#pragma once
// Blocking socket I/O for the sync worker: every wait is a poll() bounded by
// a timeout, so a silent client cannot hold the worker forever. Sends and
// receives pass MSG_DONTWAIT, so the fd may be blocking (gunicorn.socket is,
// as in gunicorn) or not. The response path is workers/socket_sink.hpp.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace gpp::workers {

/// Wait up to `timeout_ms` until `fd` is writable; false on timeout or error.
bool wait_writable(int fd, int timeout_ms);
/// How to wait for a full socket: wait_writable (poll), or the coro worker's
/// gevent wait, which lets the other greenlets run.
using WaitWritable = bool (*)(int fd, int timeout_ms);
/// Write all bytes, waiting with `wait` whenever the socket is full; false on
/// error, on a timeout or when the peer is gone.
bool write_all(int fd, std::string_view bytes, int timeout_ms, WaitWritable wait = wait_writable);

enum class SendStatus { Done, WouldBlock, Failed };
/// send(2) without waiting until `bytes` is empty (Done), the socket is full
/// (WouldBlock: wait for writability and call again) or an error (Failed).
/// Consumes what was sent from `bytes`.
SendStatus send_some(int fd, std::string_view& bytes);
/// The same with sendfile(2) for `count` bytes of `file_fd` from `offset`
/// (Failed also when the file is shorter than promised). Advances `offset`
/// and decreases `count`.
SendStatus send_file_some(int fd, int file_fd, off_t& offset, std::size_t& count);
/// Read what is available (up to `max`) after waiting up to `timeout_ms`.
/// Returns bytes read, 0 on EOF, -1 on error or timeout.
long read_some(int fd, std::string& out, std::size_t max, int timeout_ms);

}  // namespace gpp::workers

#include "core/requests_in_progress.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <atomic>
#include <cstring>

namespace gpp::core {
namespace {

constexpr int kSlots = 256;
constexpr std::size_t kLineMax = 1024;

enum SlotState : int { kFree = 0, kWriting = 1, kReady = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  std::size_t len = 0;
  char line[kLineMax];
};

std::array<Slot, kSlots> g_slots;

/// Append at most what fits; the line is cut, never overflowed.
void append(char* buf, std::size_t& len, std::string_view text) noexcept {
  std::size_t n = std::min(text.size(), kLineMax - 1 - len);
  std::memcpy(buf + len, text.data(), n);
  len += n;
}

/// std::to_chars: no locale, no allocation (async-signal-safe in practice).
void append_int(char* buf, std::size_t& len, long value) noexcept {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  if (ec == std::errc()) append(buf, len, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

}  // namespace

// Per request only copies and integer conversions: the "Worker (pid:N)"
// prefix is added when the lines are written (a getpid() and an snprintf per
// request showed in the gthread profile at -c1000).
RequestInProgress::RequestInProgress(std::string_view method, std::string_view target, int version_major,
                                     int version_minor, std::string_view client_addr, int client_port) noexcept {
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kWriting)) continue;
    Slot& s = g_slots[i];
    s.len = 0;
    append(s.line, s.len, method);
    append(s.line, s.len, " ");
    append(s.line, s.len, target.substr(0, 512));
    append(s.line, s.len, " HTTP/");
    append_int(s.line, s.len, version_major);
    append(s.line, s.len, ".");
    append_int(s.line, s.len, version_minor);
    append(s.line, s.len, " (client ");
    append(s.line, s.len, client_addr);
    if (client_port >= 0) {
      append(s.line, s.len, ":");
      append_int(s.line, s.len, client_port);
    }
    append(s.line, s.len, ")");
    s.line[s.len++] = '\n';
    s.state.store(kReady, std::memory_order_release);
    slot_ = i;
    return;
  }
}

RequestInProgress::~RequestInProgress() {
  if (slot_ >= 0) g_slots[slot_].state.store(kFree, std::memory_order_release);
}

int write_requests_in_progress(int fd) noexcept {
  char prefix[96];
  std::size_t prefix_len = 0;
  append(prefix, prefix_len, "Worker (pid:");
  append_int(prefix, prefix_len, static_cast<long>(::getpid()));
  append(prefix, prefix_len, ") timed out while serving: ");
  int written = 0;
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kReady) continue;
    // One write per line, so lines of several processes sharing the log do not interleave.
    char line[sizeof prefix + kLineMax];
    std::memcpy(line, prefix, prefix_len);
    std::memcpy(line + prefix_len, s.line, s.len);
    [[maybe_unused]] ssize_t n = ::write(fd, line, prefix_len + s.len);
    ++written;
  }
  return written;
}

}  // namespace gpp::core

#include "core/requests_in_progress.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
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

}  // namespace

RequestInProgress::RequestInProgress(std::string_view method, std::string_view target, int version_major,
                                     int version_minor, std::string_view client_addr, int client_port) noexcept {
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kWriting)) continue;
    Slot& s = g_slots[i];
    s.len = 0;
    char prefix[64];
    int n = std::snprintf(prefix, sizeof prefix, "Worker (pid:%d) timed out while serving: ", static_cast<int>(::getpid()));
    append(s.line, s.len, std::string_view(prefix, n > 0 ? static_cast<std::size_t>(n) : 0));
    append(s.line, s.len, method);
    append(s.line, s.len, " ");
    append(s.line, s.len, target.substr(0, 512));
    char version[32];
    n = std::snprintf(version, sizeof version, " HTTP/%d.%d (client ", version_major, version_minor);
    append(s.line, s.len, std::string_view(version, n > 0 ? static_cast<std::size_t>(n) : 0));
    append(s.line, s.len, client_addr);
    if (client_port >= 0) {
      char port[16];
      n = std::snprintf(port, sizeof port, ":%d", client_port);
      append(s.line, s.len, std::string_view(port, n > 0 ? static_cast<std::size_t>(n) : 0));
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
  int written = 0;
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kReady) continue;
    [[maybe_unused]] ssize_t n = ::write(fd, s.line, s.len);
    ++written;
  }
  return written;
}

}  // namespace gpp::core

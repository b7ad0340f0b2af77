#pragma once
// A request body read completely by C++ before the app runs: in memory up to
// a threshold, beyond it spooled to an unlinked temp file, so memory stays
// bounded whatever the client sends. wsgi.input reads from it.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/unique_fd.hpp"

namespace gpp::core {

class RequestBody {
 public:
  static constexpr std::size_t kDefaultMemoryLimit = 1 << 20;  ///< 1 MiB

  explicit RequestBody(std::size_t memory_limit = kDefaultMemoryLimit, std::string tmp_dir = {});

  /// Append body bytes; spools to a temp file once over the memory limit.
  /// Returns false when the temp file cannot be written (disk full).
  bool append(std::string_view data);
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool spooled() const noexcept { return static_cast<bool>(file_); }
  /// Bytes in memory (all of them when not spooled).
  [[nodiscard]] std::string_view memory() const noexcept { return memory_; }
  /// Copy up to `n` bytes at `offset` into `out`; returns the count copied.
  std::size_t read_at(std::size_t offset, char* out, std::size_t n) const;
  /// Forget the body (keeps the memory buffer's capacity for the next request).
  void clear();

 private:
  bool spool();

  std::size_t memory_limit_;
  std::string tmp_dir_;
  std::string memory_;
  UniqueFd file_;
  std::size_t size_ = 0;
};

}  // namespace gpp::core

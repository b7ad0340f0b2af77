#include "daemon/proc_title.hpp"

#include <sys/prctl.h>

#include <cstdlib>
#include <cstring>
#include <vector>

extern char** environ;

namespace gpp::daemon {
namespace {

char* g_area = nullptr;     ///< start of argv[0]
std::size_t g_size = 0;     ///< bytes we may overwrite (argv + contiguous environ strings)
std::size_t g_argv_size = 0;  ///< bytes of the argv strings alone (the kernel's arg_start..arg_end)

}  // namespace

void init_proc_title(int argc, char** argv) {
  if (argc <= 0 || !argv || !argv[0]) return;
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != end) break;  // not contiguous: stop at what is
    end = argv[i] + std::strlen(argv[i]) + 1;
  }
  g_argv_size = static_cast<std::size_t>(end - argv[0]);
  // The environ strings usually follow argv; move them to the heap so that
  // their bytes become part of the title area.
  std::size_t n = 0;
  while (environ && environ[n]) ++n;
  if (n > 0 && environ[0] == end) {
    auto** copy = static_cast<char**>(std::malloc((n + 1) * sizeof(char*)));  // lives until exit
    if (copy) {
      for (std::size_t i = 0; i < n; ++i) {
        if (environ[i] == end) end = environ[i] + std::strlen(environ[i]) + 1;
        copy[i] = ::strdup(environ[i]);
      }
      copy[n] = nullptr;
      environ = copy;
    }
  }
  g_area = argv[0];
  g_size = static_cast<std::size_t>(end - argv[0]);
}

void set_proc_title(const std::string& title) {
  std::string text = "gunicornpp: " + title;
  ::prctl(PR_SET_NAME, text.c_str(), 0, 0, 0);
  if (!g_area || g_size < 2) return;
  std::size_t len = std::min(text.size(), g_size - 1);
  std::memcpy(g_area, text.data(), len);
  std::memset(g_area + len, 0, g_size - len);
  // A non-NUL last byte of the original argv tells Linux (4.18+) that the
  // title is a C string: /proc/PID/cmdline then ends at its NUL.
  if (len + 1 < g_argv_size) g_area[g_argv_size - 1] = ' ';
}

}  // namespace gpp::daemon

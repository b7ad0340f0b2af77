// gunicornpp-docgen: writes docs/settings.md (to the path given, or stdout).
#include <fstream>
#include <iostream>

#include "config/load.hpp"

int main(int argc, char** argv) {
  const std::string text = gpp::config::settings_markdown();
  if (argc < 2) {
    std::cout << text;
    return 0;
  }
  std::ofstream file(argv[1], std::ios::binary);
  file << text;
  if (!file) {
    std::cerr << "gunicornpp-docgen: cannot write " << argv[1] << "\n";
    return 1;
  }
  return 0;
}

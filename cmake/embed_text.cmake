# Turns a text file into a C++ header holding it as a raw string literal.
# Usage: cmake -DIN=file.py -DOUT=file.inc -DNAME=kSymbol -P embed_text.cmake
file(READ "${IN}" content)
file(WRITE "${OUT}" "// generated from ${IN}; do not edit\n#pragma once\ninline constexpr const char ${NAME}[] = R\"gpp_embed(${content})gpp_embed\";\n")

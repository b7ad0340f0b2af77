# The HTTP parser's sources, relative to core/http. One list for gpp_core,
# the standalone parser benchmark (bench/parser) and the fuzz target
# (tests/fuzz), which compile them with their own flags.
set(GPP_HTTP_SOURCE_NAMES
  request_head.cpp
  request_line.cpp
  header_block.cpp
  header_scan.cpp
  request_parser.cpp
  chunked_decoder.cpp
  py_repr.cpp
  proxy_protocol.cpp
  response.cpp
)
list(TRANSFORM GPP_HTTP_SOURCE_NAMES PREPEND "${CMAKE_CURRENT_LIST_DIR}/" OUTPUT_VARIABLE GPP_HTTP_SOURCES)

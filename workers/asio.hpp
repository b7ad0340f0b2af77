#pragma once
// Boost 1.74's Asio uses std::exchange without including <utility> under C++20.
#include <utility>
#include <boost/asio.hpp>

#pragma once
// The resolved configuration as TOML (`tickerd --check-config`): every key
// with its effective value, defaults included, durations as "5s"/"250ms".
// Parsing the output gives the same config. Secrets are never in a config
// (only api_key_file, a path), so nothing is hidden.
#include <string>

#include "tickerd/config.hpp"

namespace tickerd {

// Pure.
std::string config_to_toml(const config& cfg);

// 1500ms -> "1s500ms", 90s -> "1m30s", 0 -> "0ms": the shortest form parse_duration reads back.
std::string format_duration(milliseconds d);

}  // namespace tickerd

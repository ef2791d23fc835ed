#pragma once
// Reading the config file: TOML text to a validated, immutable config.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/config.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

// Pure: TOML text to a validated config. `file` is only used in messages.
result<config, config_error> parse_config(std::string_view toml_text, std::string_view file);
// Reads the file, then parse_config.
result<config, config_error> load_config(const std::string& path);

// "250ms", "5s", "5m", "1h", "1m30s". nullopt on anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace tickerd

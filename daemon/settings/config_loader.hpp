#pragma once
// Reading the config file: TOML text to a validated, immutable config.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/config.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

// The shipped calendar dates the config's top-level `calendars` key names
// (config/calendars.toml, installed in share/tickerd): its path, for messages,
// and its text.
struct calendars_file {
    std::string path;
    std::string text;
};

// Pure: TOML text to a validated config. `file` is only used in messages. The
// `calendars` file is read by the caller (load_config); without it the key is
// checked but no shipped dates are added.
result<config, config_error> parse_config(std::string_view toml_text, std::string_view file,
                                          const calendars_file* calendars = nullptr);
// Reads the file and the calendars file it names (a relative path is relative
// to the config file's folder), then parse_config.
result<config, config_error> load_config(const std::string& path);

// "250ms", "5s", "5m", "1h", "1m30s". nullopt on anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace tickerd

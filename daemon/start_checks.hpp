#pragma once
// What a start refuses beyond the config file's own rules, so that
// `--check-config` can refuse the same: the log level and every provider's
// ca_file (read and parsed as it is at start).
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

#include "tickerd/config.hpp"

namespace tickerd {

// `trace` … `off`; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view level);

// Empty when a start would accept `cfg` run at `log_level`; else why it would not
// ("--log-level: unknown level 'verbose'", "invalid configuration: ...ca_file...").
std::string start_error(const config& cfg, std::string_view log_level);

}  // namespace tickerd

#include "start_checks.hpp"

#include <fmt/format.h>

#include "upstream/provider_resources.hpp"

namespace tickerd {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view level) {
    const auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") return std::nullopt;
    return lvl;
}

std::string start_error(const config& cfg, std::string_view log_level) {
    if (!parse_log_level(log_level)) return fmt::format("--log-level: unknown level '{}'", log_level);
    provider_resources providers;  // thrown away: the daemon loads its own at start
    for (const auto& [name, p] : cfg.providers) {
        if (name == "sim") continue;
        std::string error;
        if (providers.tls(cfg, p, error) == nullptr) return "invalid configuration: " + error;
    }
    return {};
}

}  // namespace tickerd

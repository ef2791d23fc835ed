#include "tickerd/config.hpp"

#include <fmt/format.h>

namespace tickerd {

const symbol_config* config::find_symbol(std::string_view id) const {
    for (const auto& s : symbols)
        if (s.id == id) return &s;
    return nullptr;
}

std::string_view to_string(cluster_role r) {
    switch (r) {
        case cluster_role::publisher: return "publisher";
        case cluster_role::edge: return "edge";
        case cluster_role::standalone: break;
    }
    return "standalone";
}

std::string config_error::what() const {
    if (key.empty()) return fmt::format("{}: {}", file, message);
    return fmt::format("{}: {}: {}", file, key, message);
}

}  // namespace tickerd

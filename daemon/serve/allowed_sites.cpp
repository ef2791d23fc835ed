#include "serve/allowed_sites.hpp"

#include <algorithm>
#include <cctype>

#include "ops/metrics.hpp"
#include "ops/rate_limited_log.hpp"
#include "tickerd/utf8.hpp"

namespace tickerd {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "https://ticker.example:8080" -> "ticker.example:8080"; empty when not http(s).
std::string_view host_of(std::string_view origin) {
    for (const std::string_view scheme : {"http://", "https://"})
        if (origin.starts_with(scheme)) return origin.substr(scheme.size());
    return {};
}

// An Origin as a log may show it: no control characters.
std::string printable(std::string_view s) {
    std::string out(utf8_prefix(s, 100));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace

site_verdict check_site(const std::vector<std::string>& sites, std::string_view origin, std::string_view host) {
    if (sites.empty()) return site_verdict::any_site;
    if (origin.empty()) return site_verdict::no_origin;
    const std::string o = lower(origin);
    if (std::find(sites.begin(), sites.end(), o) != sites.end()) return site_verdict::listed;
    const std::string_view h = host_of(o);
    if (!h.empty() && h == lower(host)) return site_verdict::same_site;
    return site_verdict::refused;
}

std::string cors_allow_origin(site_verdict v, std::string_view origin) {
    switch (v) {
        case site_verdict::any_site: return "*";
        case site_verdict::same_site:
        case site_verdict::listed: return std::string(origin);
        case site_verdict::no_origin:
        case site_verdict::refused: break;
    }
    return {};
}

void report_refused_site(rate_limited_log& log, metrics& stats, std::string_view origin, bool websocket) {
    stats.origin_refused(websocket);
    // One key and one message: a flood of made-up Origins is one line a minute, not one each.
    log.failure("server.allowed_sites",
                "a page of a site not in the list was refused "
                "(WebSocket upgrade: 403; other requests: no CORS headers)",
                " (last: " + std::string(websocket ? "WebSocket" : "HTTP") + " from Origin " +
                    printable(origin) + ")");
}

}  // namespace tickerd

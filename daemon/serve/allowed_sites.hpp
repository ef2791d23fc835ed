#pragma once
// server.allowed_sites: which web pages may use the stream and read the API.
// One verdict per request, from its Origin and Host headers, decides both the
// WebSocket upgrade (refused with 403) and the CORS headers of the answer; a
// refusal is logged (rate-limited) and counted.
#include <string>
#include <string_view>
#include <vector>

namespace tickerd {

class metrics;
class rate_limited_log;

enum class site_verdict {
    any_site,   // the list is empty: every site may embed the bar
    no_origin,  // the list is set, the request has no Origin (not a cross-site page, e.g. curl)
    same_site,  // the Origin is the daemon's own (its host:port is the Host header)
    listed,     // the Origin is in the list
    refused,    // a page of another site
};

// `sites`: lower-case origins ("https://news.example.com"); `origin`, `host`: the request's headers.
site_verdict check_site(const std::vector<std::string>& sites, std::string_view origin, std::string_view host);

// The Access-Control-Allow-Origin value for the verdict: "*", the Origin itself, or empty (none).
std::string cors_allow_origin(site_verdict v, std::string_view origin);

// Logs (a warning, at most once a minute for repeats) and counts a refused page.
void report_refused_site(rate_limited_log& log, metrics& stats, std::string_view origin, bool websocket);

}  // namespace tickerd

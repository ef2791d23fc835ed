// The provider table: polled feeds by name, and helpers shared by the adapters.
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/binance.hpp"
#include "tickerd/feeds/coinbase.hpp"
#include "tickerd/feeds/finnhub.hpp"
#include "tickerd/feeds/kraken.hpp"
#include "tickerd/feeds/openerapi.hpp"
#include "tickerd/feeds/yahoo.hpp"

namespace tickerd {
namespace {

feed_error too_few_replies(std::string_view provider, std::size_t want, std::size_t got) {
    return feed_error{feed_error_kind::malformed, std::string(provider) + ": expected " + std::to_string(want) +
                                                      " replies, got " + std::to_string(got)};
}

std::vector<std::string> yahoo_targets(std::string_view symbol) { return {feeds::yahoo_chart_target(symbol)}; }

feed_result<raw_quote> yahoo_parse(std::span<const http_reply> replies, std::string_view /*upstream_symbol*/,
                                   time_point now) {
    if (replies.size() < 1) return too_few_replies("yahoo", 1, replies.size());
    return feeds::parse_yahoo_chart(replies[0], now);
}

std::vector<std::string> coinbase_targets(std::string_view product) {
    return {feeds::coinbase_ticker_target(product), feeds::coinbase_stats_target(product)};
}

feed_result<raw_quote> coinbase_parse(std::span<const http_reply> replies, std::string_view /*upstream_symbol*/, time_point /*now*/) {
    if (replies.size() < 2) return too_few_replies("coinbase", 2, replies.size());
    return feeds::parse_coinbase(replies[0], replies[1]);
}

std::vector<std::string> binance_targets(std::string_view symbol) { return {feeds::binance_ticker_target(symbol)}; }

feed_result<raw_quote> binance_parse(std::span<const http_reply> replies, std::string_view /*upstream_symbol*/, time_point /*now*/) {
    if (replies.size() < 1) return too_few_replies("binance", 1, replies.size());
    return feeds::parse_binance_ticker(replies[0]);
}

std::vector<std::string> kraken_targets(std::string_view pair) { return {feeds::kraken_ticker_target(pair)}; }

feed_result<raw_quote> kraken_parse(std::span<const http_reply> replies, std::string_view /*upstream_symbol*/, time_point /*now*/) {
    if (replies.size() < 1) return too_few_replies("kraken", 1, replies.size());
    return feeds::parse_kraken_ticker(replies[0]);
}

std::vector<std::string> finnhub_targets(std::string_view symbol) { return {feeds::finnhub_quote_target(symbol)}; }

feed_result<raw_quote> finnhub_parse(std::span<const http_reply> replies, std::string_view /*upstream_symbol*/,
                                     time_point /*now*/) {
    if (replies.size() < 1) return too_few_replies("finnhub", 1, replies.size());
    return feeds::parse_finnhub_quote(replies[0]);
}

std::vector<std::string> openerapi_targets(std::string_view pair) { return {feeds::openerapi_latest_target(pair)}; }

feed_result<raw_quote> openerapi_parse(std::span<const http_reply> replies, std::string_view upstream_symbol,
                                       time_point /*now*/) {
    if (replies.size() < 1) return too_few_replies("openerapi", 1, replies.size());
    return feeds::parse_openerapi_latest(replies[0], upstream_symbol);
}

constexpr poll_feed yahoo_feed{"yahoo", &yahoo_targets, &yahoo_parse};
constexpr poll_feed coinbase_feed{"coinbase", &coinbase_targets, &coinbase_parse};
constexpr poll_feed binance_feed{"binance", &binance_targets, &binance_parse};
constexpr poll_feed finnhub_feed{"finnhub", &finnhub_targets, &finnhub_parse, feeds::finnhub_token_header};
constexpr poll_feed kraken_feed{"kraken", &kraken_targets, &kraken_parse};
constexpr poll_feed openerapi_feed{"openerapi", &openerapi_targets, &openerapi_parse, {}, true};

using std::chrono::milliseconds;
using enum provider_kind;
using enum reference_kind;

constexpr std::string_view own_user_agent = "tickerd/" TICKERD_VERSION;
// Yahoo rate-limits clients that do not look like a browser.
constexpr std::string_view browser_user_agent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
constexpr milliseconds default_interval{5'000};

// min_spacing from each provider's published limit.
constexpr provider_policy providers[] = {
    // No published limit: at most 2 requests a second.
    {"yahoo", polled, &yahoo_feed, previous_close, default_interval, milliseconds{500}, browser_user_agent},
    // Exchange public REST: 10 requests a second per IP.
    {"coinbase", polled, &coinbase_feed, open_24h, default_interval, milliseconds{100}, own_user_agent},
    // 6000 weight a minute, ticker/24hr weighs 2.
    {"binance", polled, &binance_feed, open_24h, default_interval, milliseconds{20}, own_user_agent},
    // Public endpoints: about 1 call a second.
    {"kraken", polled, &kraken_feed, utc_day_open, default_interval, milliseconds{1'000}, own_user_agent},
    // Free plan: 60 calls a minute.
    {"finnhub", polled, &finnhub_feed, previous_close, default_interval, milliseconds{1'000}, own_user_agent},
    // A daily FX rate: the reference is the daemon's own previous-UTC-day rate, a previous close.
    // One rate a day: an hourly poll is plenty, and its keyless URL is known.
    {"openerapi", polled, &openerapi_feed, previous_close, milliseconds{3'600'000}, milliseconds{1'000},
     own_user_agent, "https://open.er-api.com"},
    {"coinbase_ws", push, nullptr, open_24h, default_interval, milliseconds{0}, own_user_agent},
    {"sim", simulated, nullptr, std::nullopt, milliseconds{250}, milliseconds{0}, {}},
};

}  // namespace

const provider_policy* find_provider(std::string_view provider) {
    for (const auto& p : providers)
        if (p.name == provider) return &p;
    return nullptr;
}

const poll_feed* find_poll_feed(std::string_view provider) {
    const provider_policy* p = find_provider(provider);
    return p != nullptr ? p->poll : nullptr;
}

bool is_known_provider(std::string_view provider) { return find_provider(provider) != nullptr; }

std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out;
}

}  // namespace tickerd

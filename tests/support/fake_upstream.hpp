#pragma once
// A real HTTP/1.1 server on 127.0.0.1 that plays the upstream market-data APIs
// (Yahoo chart v8, Coinbase Exchange REST) for the integration tests. It runs
// its own io_context on its own thread; routes can be changed while it serves.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/test_tls.hpp"

namespace tickerd::test {

// What the fake does with a request that matched a route.
enum class fault {
    none,                // reply normally (after `delay`, if any)
    close_without_reply, // read the request, then close the connection
    hang,                // read the request and never answer (until the client gives up)
    trickle,             // send the reply a few bytes at a time, `trickle_every` apart (slower than any deadline)
    reset,               // read the request, then reset the connection (TCP RST)
    truncate,            // send the head and half of the body (Content-Length says more), then close
};

struct fake_response {
    unsigned status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
    std::chrono::milliseconds delay{0};                         // before replying (or closing)
    fault mode = fault::none;
    std::chrono::milliseconds trickle_every{250};  // fault::trickle: pause between two bytes
};

// Ready-made responses.
fake_response json_ok(std::string body);
fake_response with_status(unsigned status, std::string body,
                          std::string content_type = "application/json; charset=utf-8");
fake_response html_page(unsigned status = 200);  // an outage/consent-like HTML page
fake_response closing();                         // close without a reply
fake_response hanging();                         // never reply
// Fault modes shared by every test (each answers one request this way until the route changes).
fake_response server_error();                                          // 500 with a JSON error body
fake_response rate_limited(std::chrono::seconds retry_after);          // 429 with Retry-After
fake_response trickling(fake_response r, std::chrono::milliseconds every = std::chrono::milliseconds(250));
fake_response resetting();                                             // TCP reset after the request
fake_response garbage();                                               // 200, JSON content type, bytes that are not JSON
fake_response truncated(fake_response r);                              // r cut in the middle of its body
fake_response oversized(std::size_t bytes);                            // 200 with a JSON body of `bytes` bytes

struct recorded_request {
    std::string method;
    std::string target;      // as sent, with its query
    std::string user_agent;  // empty when the header was missing
    std::vector<std::pair<std::string, std::string>> headers;  // every request header, as sent
    std::chrono::steady_clock::time_point at;                 // when the whole request had arrived
};

class fake_upstream {
public:
    fake_upstream();  // binds 127.0.0.1:0 and starts serving
    // The same behind TLS: https://127.0.0.1:PORT with `identity` (see test_tls.hpp).
    explicit fake_upstream(const tls_identity& identity);
    ~fake_upstream();
    fake_upstream(const fake_upstream&) = delete;
    fake_upstream& operator=(const fake_upstream&) = delete;

    std::uint16_t port() const;    // the port clients connect to (the TLS front's when TLS)
    std::string base_url() const;  // "http://127.0.0.1:PORT", or "https://127.0.0.1:PORT" with TLS
    // TLS handshakes the front refused or that failed (0 without TLS).
    std::size_t failed_tls_handshakes() const;

    // `key` is an exact target ("/a?x=1") or a path ("/a"). A request is
    // matched on its exact target first, then on its path (query ignored).
    void set_route(std::string key, fake_response response);
    void remove_route(const std::string& key);

    // Requests seen whose path (query ignored) equals `path`, or whose exact target equals it.
    std::size_t request_count(std::string_view path) const;
    std::vector<recorded_request> requests() const;
    // Waits until request_count(path) >= n; false on timeout.
    bool wait_for_requests(std::string_view path, std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct impl;  // the Asio side, in the .cpp
    fake_response lookup(std::string_view target) const;
    void record(recorded_request r);

    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::unique_ptr<tls_front> tls_;

    mutable std::mutex mu_;
    std::map<std::string, fake_response, std::less<>> routes_;
    std::vector<recorded_request> requests_;
};

// --- realistic upstream bodies --------------------------------------------

// A Yahoo chart v8 reply (range=1d, interval=5m) shaped like
// tests/fixtures/yahoo_chart_NVDA.json. Numbers are written verbatim from the
// *_text arguments (so "1284.3" stays "1284.3"). The regular trading period is
// [period_start, period_end] (unix seconds); pre/post periods are placed around it.
std::string yahoo_chart_body(std::string_view symbol, std::string_view price_text,
                             std::string_view prev_close_text, std::string_view currency,
                             std::int64_t regular_market_time, std::int64_t period_start,
                             std::int64_t period_end);
// Yahoo's 404 for an unknown symbol.
std::string yahoo_unknown_symbol_body();

// Coinbase Exchange /products/{id}/ticker and /stats replies (prices are strings).
std::string coinbase_ticker_body(std::string_view price_text, std::string_view time_text);
std::string coinbase_stats_body(std::string_view open_text);

// Paths the daemon polls.
std::string yahoo_path(std::string_view upstream_symbol);  // percent-encoded, no query
inline constexpr std::string_view yahoo_query = "?range=1d&interval=5m&includePrePost=false";
std::string coinbase_ticker_path(std::string_view product);
std::string coinbase_stats_path(std::string_view product);

// Time helpers for building bodies and expectations.
std::int64_t unix_now();
std::int64_t unix_now_ms();
// "2026-10-07T19:09:58.123Z" -> unix milliseconds; throws std::runtime_error for other text.
std::int64_t utc_ms(const std::string& text);
std::string utc_text_ms(std::int64_t unix_seconds, int millis = 0);  // "2026-10-07T19:09:58.000Z"

}  // namespace tickerd::test

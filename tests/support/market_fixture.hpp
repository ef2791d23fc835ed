#pragma once
// Shared by the integration tests: a Yahoo (NVDA…) and Coinbase (BTC) stand-in
// with realistic replies, and a bounded wait for a quote to reach a state.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_clients.hpp"

namespace tickerd::test {

struct yahoo_coinbase_market {
    fake_upstream up;
    std::int64_t now = unix_now();
    std::int64_t market_time = now - 5;

    void yahoo(std::string_view symbol, std::string_view price, std::string_view prev) {
        up.set_route(yahoo_path(symbol), json_ok(yahoo_chart_body(symbol, price, prev, "USD", market_time,
                                                                  now - 3 * 3600, now + 3 * 3600)));
    }
    void coinbase(std::string_view price, std::string_view open) {
        up.set_route(coinbase_ticker_path("BTC-USD"),
                     json_ok(coinbase_ticker_body(price, utc_text_ms(now - 2).replace(20, 4, "482013077Z"))));
        up.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body(open)));
    }
};

// The config that goes with it: NVDA from Yahoo and BTC from Coinbase, both polled every 200 ms
// at `up`. `server_extra` goes into [server], `nvda_extra` into NVDA's table, `rest` at the end.
inline std::string yahoo_coinbase_config(const fake_upstream& up, std::string_view server_extra = "",
                                         std::string_view nvda_extra = "", std::string_view rest = "") {
    return fmt::format(R"([server]
listen = "127.0.0.1:0"
{1}

[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
precision = 2
sources = ["yahoo:NVDA"]
{2}

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = ["coinbase:BTC-USD"]

[providers.yahoo]
base_url = "{0}"
interval = "200ms"
timeout = "2s"

[providers.coinbase]
base_url = "{0}"
interval = "200ms"
timeout = "2s"

{3}
)",
                       up.base_url(), server_extra, nvda_extra, rest);
}

// Waits until GET /v1/quotes/{id} satisfies `pred`; returns that quote.
inline json_doc wait_quote(const daemon_process& d, std::string_view id,
                           const std::function<bool(const json_doc&)>& pred,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::string last;
    const std::string target = "/v1/quotes/" + std::string(id);
    const bool ok = eventually(
        [&] {
            auto r = http_get(d.port(), target);
            last = r.body;
            return r.status == 200 && pred(json_doc(r.body));
        },
        timeout);
    INFO("last " << target << ": " << last << "\n" << d.log_tail());
    REQUIRE(ok);
    return json_doc(last);
}

// Waits until the wall clock (the daemon's too) is past the history bucket of `t_ms`
// (unix ms): a price received from now on is filed under a later point.
inline void wait_next_bucket(std::int64_t t_ms, std::chrono::milliseconds resolution = std::chrono::seconds(1)) {
    const std::int64_t bucket = t_ms / resolution.count();
    INFO("waiting for the history bucket after " << t_ms << " ms");
    REQUIRE(eventually([&] { return unix_now_ms() / resolution.count() > bucket; }, resolution + std::chrono::seconds(1),
                       std::chrono::milliseconds(5)));
}

}  // namespace tickerd::test

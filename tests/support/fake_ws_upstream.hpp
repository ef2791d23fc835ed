#pragma once
// A real WebSocket server on 127.0.0.1 that plays the Coinbase Exchange feed
// (wss://ws-feed.exchange.coinbase.com, here plain ws://) for the integration
// tests. It runs its own io_context on its own thread. Each connection must
// send a subscribe message; it is answered with `subscriptions`, then a
// heartbeat goes out about every 200 ms and tickers when the test says so.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/test_tls.hpp"

namespace tickerd::test {

enum class ws_mode {
    normal,            // acknowledge subscriptions, heartbeats, tickers
    silent,            // send nothing at all (open connections stay open; new ones are accepted)
    closed,            // drop open connections; new ones are closed before the WebSocket handshake
    reject_subscribe,  // answer a subscribe with {"type":"error","message":"Failed to subscribe",...}
};

class fake_ws_upstream {
public:
    fake_ws_upstream();  // binds 127.0.0.1:0 and starts serving
    // The same behind TLS: wss://127.0.0.1:PORT with `identity` (see test_tls.hpp).
    explicit fake_ws_upstream(const tls_identity& identity);
    ~fake_ws_upstream();
    fake_ws_upstream(const fake_ws_upstream&) = delete;
    fake_ws_upstream& operator=(const fake_ws_upstream&) = delete;

    std::uint16_t port() const;    // the port clients connect to (the TLS front's when TLS)
    std::string base_url() const;  // "ws://127.0.0.1:PORT", or "wss://127.0.0.1:PORT" with TLS

    void set_mode(ws_mode mode);

    // Sends `text` to every subscribed connection (in normal mode; dropped otherwise).
    void send(std::string text);
    // A ticker shaped like tests/fixtures/coinbase_ws_ticker.json, time = now.
    void send_ticker(std::string_view product, std::uint64_t sequence, std::string_view price,
                     std::string_view open_24h);

    // Subscribe messages received, in order (their text as sent).
    std::vector<std::string> subscribes() const;
    std::size_t subscribe_count() const;
    bool wait_for_subscribes(std::size_t n, std::chrono::milliseconds timeout) const;
    // Connections whose subscription was acknowledged and that are still open.
    std::size_t subscribed_connections() const;
    bool wait_for_subscribed(std::size_t n, std::chrono::milliseconds timeout) const;
    // Heartbeats sent so far, on every connection.
    std::size_t heartbeats_sent() const;

    struct impl;  // the Asio side, in the .cpp

private:
    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::unique_ptr<tls_front> tls_;
};

std::string coinbase_ws_ticker_body(std::string_view product, std::uint64_t sequence, std::string_view price,
                                    std::string_view open_24h, std::string_view time_text);

}  // namespace tickerd::test

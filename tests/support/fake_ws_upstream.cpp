#include "support/fake_ws_upstream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <fmt/format.h>

#include <deque>
#include <list>

#include "support/fake_upstream.hpp"  // unix_now, utc_text_ms

namespace tickerd::test {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);
constexpr std::chrono::milliseconds heartbeat_every{200};

// One accepted connection; only the io thread touches it.
struct ws_conn {
    explicit ws_conn(tcp::socket s) : ws(std::move(s)), wake(ws.get_executor()), beat(ws.get_executor()) {}
    websocket::stream<tcp::socket> ws;
    net::steady_timer wake;  // cancelled to wake the writer
    net::steady_timer beat;  // heartbeat period
    std::deque<std::string> outbox;
    bool subscribed = false;
    bool dead = false;
};

}  // namespace

struct fake_ws_upstream::impl {
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::list<std::shared_ptr<ws_conn>> conns;  // io thread only
    std::uint64_t heartbeat_sequence = 137512619000;  // io thread only

    mutable std::mutex mu;
    ws_mode mode_ = ws_mode::normal;
    std::vector<std::string> subscribes;
    std::size_t live_subscribed = 0;
    std::size_t heartbeats_sent = 0;

    ws_mode mode() const {
        std::scoped_lock lk(mu);
        return mode_;
    }

    void kill(const std::shared_ptr<ws_conn>& c) {  // io thread
        if (c->dead) return;
        c->dead = true;
        if (c->subscribed) {
            std::scoped_lock lk(mu);
            --live_subscribed;
        }
        boost::system::error_code ec;
        c->ws.next_layer().shutdown(tcp::socket::shutdown_both, ec);
        c->ws.next_layer().close(ec);
        c->wake.cancel();
        c->beat.cancel();
    }

    void enqueue(const std::shared_ptr<ws_conn>& c, std::string text) {  // io thread
        if (c->dead) return;
        c->outbox.push_back(std::move(text));
        c->wake.cancel();
    }

    void shutdown() {  // io thread
        boost::system::error_code ec;
        acceptor.close(ec);
        for (auto& c : conns) kill(c);
        conns.clear();
    }

    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(nothrow_awaitable);
            if (ec) {
                if (!acceptor.is_open()) co_return;
                continue;
            }
            conns.remove_if([](const std::shared_ptr<ws_conn>& c) { return c->dead; });
            if (mode() == ws_mode::closed) {
                boost::system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // small frames go out at once
            auto c = std::make_shared<ws_conn>(std::move(socket));
            conns.push_back(c);
            net::co_spawn(ioc, serve(c), net::detached);
        }
    }

    net::awaitable<void> serve(std::shared_ptr<ws_conn> c) {
        auto [aec] = co_await c->ws.async_accept(nothrow_awaitable);
        if (aec) {
            kill(c);
            co_return;
        }
        c->ws.text(true);
        net::co_spawn(ioc, writer(c), net::detached);
        net::co_spawn(ioc, heartbeats(c), net::detached);
        boost::beast::flat_buffer buffer;
        for (;;) {
            auto [ec, n] = co_await c->ws.async_read(buffer, nothrow_awaitable);
            (void)n;
            if (ec || c->dead) {
                kill(c);
                co_return;
            }
            std::string text = boost::beast::buffers_to_string(buffer.data());
            buffer.consume(buffer.size());
            if (text.find(R"("type":"subscribe")") == std::string::npos) continue;
            const ws_mode m = mode();
            {
                std::scoped_lock lk(mu);
                subscribes.push_back(text);
            }
            if (m == ws_mode::reject_subscribe) {
                enqueue(c, R"({"type":"error","message":"Failed to subscribe","reason":"BTC-XXX is not a valid product"})");
            } else if (m == ws_mode::normal && !c->subscribed) {
                enqueue(c,
                        R"({"type":"subscriptions","channels":[{"name":"ticker","product_ids":["BTC-USD"],"account_ids":null},)"
                        R"({"name":"heartbeat","product_ids":["BTC-USD"],"account_ids":null}]})");
                c->subscribed = true;
                std::scoped_lock lk(mu);
                ++live_subscribed;
            }
        }
    }

    net::awaitable<void> writer(std::shared_ptr<ws_conn> c) {
        for (;;) {
            while (!c->outbox.empty() && !c->dead) {
                auto [ec, n] = co_await c->ws.async_write(net::buffer(c->outbox.front()), nothrow_awaitable);
                (void)n;
                if (ec) {
                    kill(c);
                    co_return;
                }
                c->outbox.pop_front();
            }
            if (c->dead) co_return;
            c->wake.expires_at(net::steady_timer::time_point::max());
            co_await c->wake.async_wait(nothrow_awaitable);
        }
    }

    net::awaitable<void> heartbeats(std::shared_ptr<ws_conn> c) {
        for (;;) {
            c->beat.expires_after(heartbeat_every);
            co_await c->beat.async_wait(nothrow_awaitable);
            if (c->dead) co_return;
            if (!c->subscribed || mode() != ws_mode::normal) continue;
            {
                std::scoped_lock lk(mu);
                ++heartbeats_sent;
            }
            enqueue(c, fmt::format(R"({{"type":"heartbeat","last_trade_id":0,"product_id":"BTC-USD","sequence":{},"time":"{}"}})",
                                   ++heartbeat_sequence, utc_text_ms(unix_now())));
        }
    }
};

fake_ws_upstream::fake_ws_upstream() : impl_(std::make_unique<impl>()) {
    tcp::endpoint ep{net::ip::make_address_v4("127.0.0.1"), 0};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(net::socket_base::max_listen_connections);
    port_ = impl_->acceptor.local_endpoint().port();
    net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
    thread_ = std::thread([this] { impl_->ioc.run(); });
}

fake_ws_upstream::fake_ws_upstream(const tls_identity& identity) : fake_ws_upstream() {
    tls_ = std::make_unique<tls_front>(port_, identity);
}

fake_ws_upstream::~fake_ws_upstream() {
    tls_.reset();  // first: it relays to this server
    net::post(impl_->ioc, [this] { impl_->shutdown(); });
    thread_.join();
}

std::uint16_t fake_ws_upstream::port() const { return tls_ ? tls_->port() : port_; }

std::string fake_ws_upstream::base_url() const {
    return fmt::format("{}://127.0.0.1:{}", tls_ ? "wss" : "ws", port());
}

void fake_ws_upstream::set_mode(ws_mode mode) {
    {
        std::scoped_lock lk(impl_->mu);
        impl_->mode_ = mode;
    }
    if (mode == ws_mode::closed) {
        net::post(impl_->ioc, [this] {
            for (auto& c : impl_->conns) impl_->kill(c);
        });
    }
}

void fake_ws_upstream::send(std::string text) {
    net::post(impl_->ioc, [this, text = std::move(text)] {
        if (impl_->mode() != ws_mode::normal) return;
        for (auto& c : impl_->conns)
            if (c->subscribed) impl_->enqueue(c, text);
    });
}

void fake_ws_upstream::send_ticker(std::string_view product, std::uint64_t sequence, std::string_view price,
                                   std::string_view open_24h) {
    send(coinbase_ws_ticker_body(product, sequence, price, open_24h, utc_text_ms(unix_now())));
}

std::vector<std::string> fake_ws_upstream::subscribes() const {
    std::scoped_lock lk(impl_->mu);
    return impl_->subscribes;
}

std::size_t fake_ws_upstream::subscribe_count() const {
    std::scoped_lock lk(impl_->mu);
    return impl_->subscribes.size();
}

bool fake_ws_upstream::wait_for_subscribes(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (subscribe_count() < n) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::size_t fake_ws_upstream::heartbeats_sent() const {
    std::scoped_lock lk(impl_->mu);
    return impl_->heartbeats_sent;
}

std::size_t fake_ws_upstream::subscribed_connections() const {
    std::scoped_lock lk(impl_->mu);
    return impl_->live_subscribed;
}

bool fake_ws_upstream::wait_for_subscribed(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (subscribed_connections() < n) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::string coinbase_ws_ticker_body(std::string_view product, std::uint64_t sequence, std::string_view price,
                                    std::string_view open_24h, std::string_view time_text) {
    return fmt::format(
        R"({{"type":"ticker","sequence":{1},"product_id":"{0}","price":"{2}","open_24h":"{3}","volume_24h":"8236.07601234",)"
        R"("low_24h":"70412.3","high_24h":"71980.55","volume_30d":"269980.64976703","best_bid":"{2}","best_bid_size":"0.19921154",)"
        R"("best_ask":"{2}","best_ask_size":"0.05223077","side":"buy","time":"{4}","trade_id":1104412345,"last_size":"0.00021692"}})",
        product, sequence, price, open_24h, time_text);
}

}  // namespace tickerd::test

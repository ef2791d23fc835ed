#include "upstream/coinbase_feed.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tickerd/base_url.hpp"
#include "tickerd/feeds/coinbase_ws.hpp"
#include "tickerd/feeds/registry.hpp"
#include "upstream/backoff.hpp"
#include "upstream/tls_client.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// The first reconnect waits about this long; each further failure adds half, up to max_backoff.
constexpr milliseconds first_backoff{500};

time_point now_ms() { return std::chrono::time_point_cast<milliseconds>(clock_type::now()); }

std::string seconds_text(milliseconds d) { return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0); }

}  // namespace

class coinbase_feed::impl : public std::enable_shared_from_this<coinbase_feed::impl> {
public:
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    impl(net::any_io_executor ex, ssl::context& tls, const provider_config& provider, std::string product_id,
         std::vector<fed_symbol> symbols, ingest& in, rate_limited_log& log, metrics& stats)
        : strand_(net::make_strand(ex)),
          tls_ctx_(tls),
          provider_(provider),
          product_(std::move(product_id)),
          label_(provider.name + ":" + product_),
          symbols_(std::move(symbols)),
          ingest_(in),
          source_{provider.name, label_, find_provider(provider.name)->reference, &stats.provider(provider.name)},
          log_(log),
          stats_(stats.provider(provider.name)),
          resolver_(strand_),
          deadline_timer_(strand_),
          retry_timer_(strand_),
          rng_(std::random_device{}()) {
        if (auto o = parse_base_url(provider.base_url, url_family::websocket)) {
            origin_ = std::move(o).value();
        } else {
            bad_url_ = true;  // the config loader accepts only ws:// and wss://
        }
    }

    const std::string& label() const { return label_; }

    void start() {
        net::dispatch(strand_, [self = shared_from_this()] {
            if (self->bad_url_) {
                spdlog::error("{}: base_url \"{}\" is not a ws:// or wss:// URL; not connecting", self->label_,
                              self->provider_.base_url);
                return;
            }
            self->connect();
        });
    }

    void stop() {
        net::dispatch(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            ++self->generation_;
            self->drop_connection();
            self->deadline_timer_.cancel();
            self->retry_timer_.cancel();
        });
    }

private:
    enum class phase { connecting, subscribing, streaming };

    // --- connection ---------------------------------------------------------

    void connect() {
        if (stopped_) return;
        ++generation_;
        phase_ = phase::connecting;
        drop_connection();
        arm_deadline(steady::now() + provider_.timeout);
        resolver_.async_resolve(origin_.host, origin_.port,
                                [self = shared_from_this(), gen = generation_](beast::error_code ec,
                                                                               const tcp::resolver::results_type& res) {
                                    if (gen != self->generation_) return;
                                    if (ec) return self->fail("resolve " + self->origin_.host + ": " + ec.message());
                                    self->do_connect(res);
                                });
    }

    void do_connect(const tcp::resolver::results_type& endpoints) {
        // A fresh stream per connection: handlers of an abandoned one keep theirs alive.
        buffer_ = std::make_shared<beast::flat_buffer>();
        if (origin_.tls) {
            tls_ = std::make_shared<tls_ws>(strand_, tls_ctx_);
        } else {
            plain_ = std::make_shared<plain_ws>(strand_);
        }
        lowest().async_connect(endpoints, [self = shared_from_this(), gen = generation_, keep = keepalive()](
                                              beast::error_code ec, const tcp::endpoint&) {
            if (gen != self->generation_) return;
            if (ec) return self->fail("connect: " + ec.message());
            if (self->origin_.tls) return self->do_tls_handshake();
            self->do_ws_handshake();
        });
    }

    void do_tls_handshake() {
        auto& tls = tls_->next_layer();
        if (auto error = prepare_tls_client(tls, origin_.host); !error.empty()) return fail(error);
        tls.async_handshake(ssl::stream_base::client,
                            [self = shared_from_this(), gen = generation_, keep = keepalive()](beast::error_code ec) {
                                if (gen != self->generation_) return;
                                if (ec) return self->fail("TLS handshake: " + ec.message());
                                self->do_ws_handshake();
                            });
    }

    void do_ws_handshake() {
        // Our own timers bound every step; Beast's stream timeouts stay off.
        lowest().expires_never();
        const bool default_port = origin_.port == (origin_.tls ? "443" : "80");
        const std::string host = default_port ? origin_.host : origin_.host + ":" + origin_.port;
        const std::string target = origin_.prefix.empty() ? "/" : origin_.prefix;
        with_ws([&](auto& ws) {
            websocket::stream_base::timeout t{};
            t.handshake_timeout = provider_.timeout;
            t.idle_timeout = websocket::stream_base::none();
            t.keep_alive_pings = false;
            ws.set_option(t);
            ws.set_option(websocket::stream_base::decorator([ua = user_agent()](websocket::request_type& req) {
                req.set(http::field::user_agent, ua);
            }));
            ws.read_message_max(provider_.max_body_bytes);
            ws.async_handshake(host, target,
                               [self = shared_from_this(), gen = generation_, keep = keepalive()](beast::error_code ec) {
                                   if (gen != self->generation_) return;
                                   if (ec) return self->fail("WebSocket handshake: " + ec.message());
                                   self->subscribe();
                               });
        });
    }

    void subscribe() {
        phase_ = phase::subscribing;
        // Sequences are compared within one connection: a feed restarted upstream may number anew.
        highest_sequence_.reset();
        // From here on the idle timeout applies: the acknowledgement and heartbeats must follow.
        arm_deadline(steady::now() + provider_.idle_timeout);
        subscribe_text_ = std::make_shared<std::string>(feeds::coinbase_ws_subscribe_message({product_}));
        with_ws([&](auto& ws) {
            ws.text(true);
            ws.async_write(net::buffer(*subscribe_text_),
                           [self = shared_from_this(), gen = generation_, keep = keepalive(),
                            text = subscribe_text_](beast::error_code ec, std::size_t) {
                               if (gen != self->generation_) return;
                               if (ec) return self->fail("write subscribe: " + ec.message());
                               self->do_read();
                           });
        });
    }

    void do_read() {
        with_ws([&](auto& ws) {
            ws.async_read(*buffer_, [self = shared_from_this(), gen = generation_, keep = keepalive(),
                                     buffer = buffer_](beast::error_code ec, std::size_t) {
                if (gen != self->generation_) return;
                if (ec == websocket::error::closed) {
                    std::string why = "connection closed by upstream";
                    self->with_ws([&](auto& ws) {
                        const auto& reason = ws.reason();
                        why += fmt::format(" (code {}", static_cast<unsigned>(reason.code));
                        if (!reason.reason.empty()) why += ", " + std::string(reason.reason.c_str());
                        why += ")";
                    });
                    return self->fail(why);
                }
                if (ec) return self->fail("read: " + ec.message());
                std::string text = beast::buffers_to_string(buffer->data());
                buffer->consume(buffer->size());
                self->deadline_ = steady::now() + self->provider_.idle_timeout;
                self->on_message(text);
                if (gen != self->generation_) return;  // the message ended this connection
                self->do_read();
            });
        });
    }

    // Re-arms the single deadline timer: connect/handshake limit, then the idle limit.
    // A message only moves deadline_ forward; the timer catches up lazily when it fires.
    void arm_deadline(steady::time_point at) {
        deadline_ = at;
        deadline_timer_.expires_at(at);
        deadline_timer_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (ec || gen != self->generation_ || self->stopped_) return;
            if (steady::now() < self->deadline_) return self->arm_deadline(self->deadline_);
            if (self->phase_ == phase::connecting) {
                return self->fail(fmt::format("timed out connecting after {} ms", self->provider_.timeout.count()),
                                  upstream_outcome::timeout);
            }
            self->fail(fmt::format("no message for {} ms", self->provider_.idle_timeout.count()), upstream_outcome::timeout);
        });
    }

    // --- messages -----------------------------------------------------------

    void on_message(const std::string& text) {
        auto event = feeds::parse_coinbase_ws_message(text);
        if (!event) {
            stats_.quotes_rejected.fetch_add(1, std::memory_order_relaxed);
            stats_.record(upstream_outcome::malformed);
            log_.failure(label_, fmt::format("{}: {}", to_string(event.error().kind), event.error().message));
            for (const fed_symbol to : symbols_) ingest_.failed(to);
            return;
        }
        std::visit([this](auto& m) { handle(m); }, *event);
    }

    void handle(feeds::coinbase_ws_ticker& t) {
        if (t.product_id != product_) return;
        if (!feeds::coinbase_ws_is_newer(highest_sequence_, t.sequence)) {
            spdlog::debug("{}: dropped ticker with sequence {} (highest applied {})", label_, t.sequence,
                          *highest_sequence_);
            return;
        }
        highest_sequence_ = t.sequence;
        live();
        const time_point now = now_ms();
        bool any_accepted = false;
        for (const fed_symbol to : symbols_) any_accepted = ingest_.quote(source_, to, t.quote, now) || any_accepted;
        stats_.record(any_accepted ? upstream_outcome::ok : upstream_outcome::rejected);
    }

    void handle(const feeds::coinbase_ws_heartbeat&) { live(); }

    void handle(const feeds::coinbase_ws_subscriptions&) {
        if (phase_ == phase::subscribing) {
            phase_ = phase::streaming;
            failures_ = 0;  // back-off starts over
            if (!ever_subscribed_) spdlog::info("{}: subscribed to {}", label_, provider_.base_url);
            ever_subscribed_ = true;
        }
    }

    void handle(const feeds::coinbase_ws_error& e) {
        std::string what = "error from upstream: " + (e.message.empty() ? std::string("(no message)") : e.message);
        if (!e.reason.empty()) what += ": " + e.reason;
        fail(what, upstream_outcome::http_error);
    }

    void handle(const feeds::coinbase_ws_unknown& u) { spdlog::trace("{}: ignored message of type {}", label_, u.type); }

    // Data (a heartbeat or a ticker) flows again after failures: log the recovery once.
    void live() {
        if (!failing_) return;
        failing_ = false;
        log_.recovered(label_);
    }

    // --- failures and reconnects ----------------------------------------------

    // `outcome` as counted in tickerd_upstream_requests_total: an I/O failure unless said otherwise.
    void fail(std::string what, upstream_outcome outcome = upstream_outcome::network) {
        if (stopped_) return;
        stats_.record(outcome);
        ++generation_;  // every handler of this connection is now stale
        drop_connection();
        deadline_timer_.cancel();
        for (const fed_symbol to : symbols_) ingest_.failed(to);
        ++failures_;
        failing_ = true;
        const milliseconds delay = backoff();
        log_.failure(label_, what, "; reconnecting in " + seconds_text(delay));
        retry_timer_.expires_after(delay);
        retry_timer_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (ec || gen != self->generation_ || self->stopped_) return;
            self->connect();
        });
    }

    milliseconds backoff() {
        return backoff_delay(first_backoff, failures_, provider_.max_backoff, rng_);
    }

    // --- stream helpers ---------------------------------------------------------

    template <class F>
    void with_ws(F&& f) {
        if (origin_.tls) {
            if (tls_) f(*tls_);
        } else {
            if (plain_) f(*plain_);
        }
    }

    beast::tcp_stream& lowest() { return origin_.tls ? beast::get_lowest_layer(*tls_) : beast::get_lowest_layer(*plain_); }

    std::shared_ptr<void> keepalive() const {
        if (origin_.tls) return tls_;
        return plain_;
    }

    void drop_connection() {
        resolver_.cancel();
        beast::error_code ignored;
        if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
        if (plain_) beast::get_lowest_layer(*plain_).socket().close(ignored);
        tls_.reset();
        plain_.reset();
    }

    std::string user_agent() const {
        return provider_.user_agent.empty() ? std::string(find_provider(provider_.name)->user_agent) : provider_.user_agent;
    }

    net::strand<net::any_io_executor> strand_;
    ssl::context& tls_ctx_;
    const provider_config provider_;
    const std::string product_;
    const std::string label_;  // "coinbase_ws:BTC-USD", for logs
    const std::vector<fed_symbol> symbols_;
    ingest& ingest_;
    const ingest_source source_;
    rate_limited_log& log_;
    provider_metrics& stats_;
    base_url origin_;
    bool bad_url_ = false;

    tcp::resolver resolver_;
    net::steady_timer deadline_timer_;
    net::steady_timer retry_timer_;
    steady::time_point deadline_{};
    std::shared_ptr<plain_ws> plain_;
    std::shared_ptr<tls_ws> tls_;
    std::shared_ptr<beast::flat_buffer> buffer_;
    std::shared_ptr<std::string> subscribe_text_;

    std::uint64_t generation_ = 0;
    phase phase_ = phase::connecting;
    std::optional<std::uint64_t> highest_sequence_;  // of this connection's tickers
    bool ever_subscribed_ = false;
    unsigned failures_ = 0;  // consecutive, for the back-off; reset by a subscription acknowledgement
    bool failing_ = false;   // a failure was logged and no data has arrived since
    bool stopped_ = false;
    std::minstd_rand rng_;
};

coinbase_feed::coinbase_feed(net::any_io_executor ex, ssl::context& tls, const provider_config& provider,
                         std::string product_id, std::vector<fed_symbol> symbols, ingest& in,
                         rate_limited_log& log, metrics& stats)
    : impl_(std::make_shared<impl>(std::move(ex), tls, provider, std::move(product_id), std::move(symbols), in, log,
                                   stats)) {}

coinbase_feed::~coinbase_feed() { impl_->stop(); }

void coinbase_feed::start() { impl_->start(); }

void coinbase_feed::stop() { impl_->stop(); }

const std::string& coinbase_feed::label() const { return impl_->label(); }

}  // namespace tickerd

#include "support/fake_upstream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <list>
#include <sstream>
#include <stdexcept>

namespace tickerd::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

// One accepted connection; the io thread owns it, stop() reaches it through a weak_ptr.
struct fake_connection {
    explicit fake_connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
    tcp::socket socket;
    net::steady_timer timer;
};

struct fake_upstream::impl {
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::list<std::weak_ptr<fake_connection>> connections;  // io thread only

    void forget_expired() {
        connections.remove_if([](const std::weak_ptr<fake_connection>& w) { return w.expired(); });
    }

    void shutdown() {  // io thread
        boost::system::error_code ec;
        acceptor.close(ec);
        for (auto& w : connections) {
            if (auto c = w.lock()) {
                c->timer.cancel();
                c->socket.shutdown(tcp::socket::shutdown_both, ec);
                c->socket.close(ec);
            }
        }
        connections.clear();
    }

    static net::awaitable<void> serve(fake_upstream& self, std::shared_ptr<fake_connection> conn);
    static net::awaitable<void> accept_loop(fake_upstream& self);
};

net::awaitable<void> fake_upstream::impl::serve(fake_upstream& self, std::shared_ptr<fake_connection> conn) {
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(64 * 1024);
        auto [rec, rn] = co_await http::async_read(conn->socket, buffer, parser, nothrow_awaitable);
        (void)rn;
        if (rec) co_return;  // EOF, reset, shutdown
        auto req = parser.release();

        recorded_request seen;
        seen.method = std::string(req.method_string());
        seen.target = std::string(req.target());
        seen.at = std::chrono::steady_clock::now();
        if (auto it = req.find(http::field::user_agent); it != req.end()) seen.user_agent = std::string(it->value());
        for (const auto& field : req) seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        self.record(std::move(seen));

        fake_response r = self.lookup(req.target());

        if (r.delay.count() > 0) {
            conn->timer.expires_after(r.delay);
            auto [tec] = co_await conn->timer.async_wait(nothrow_awaitable);
            if (tec) co_return;  // stopping
        }
        if (r.mode == fault::close_without_reply) {
            boost::system::error_code ec;
            conn->socket.shutdown(tcp::socket::shutdown_both, ec);
            conn->socket.close(ec);
            co_return;
        }
        if (r.mode == fault::reset) {
            boost::system::error_code ec;
            conn->socket.set_option(net::socket_base::linger(true, 0), ec);  // close() sends RST
            conn->socket.close(ec);
            co_return;
        }
        if (r.mode == fault::hang) {
            // Swallow whatever arrives until the client closes (or the server stops).
            char sink[512];
            for (;;) {
                auto [hec, hn] = co_await conn->socket.async_read_some(net::buffer(sink), nothrow_awaitable);
                (void)hn;
                if (hec) co_return;
            }
        }

        http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
        res.set(http::field::server, "fake-upstream");
        if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
        for (const auto& [name, value] : r.headers) res.set(name, value);
        res.keep_alive(req.keep_alive());
        if (req.method() != http::verb::head) res.body() = r.body;
        res.prepare_payload();
        if (r.mode == fault::trickle || r.mode == fault::truncate) {
            std::ostringstream os;
            os << res;
            std::string wire = os.str();
            if (r.mode == fault::truncate) wire.resize(wire.size() - res.body().size() / 2);
            const std::size_t step = r.mode == fault::trickle ? 1 : wire.size();
            for (std::size_t i = 0; i < wire.size(); i += step) {
                auto [tec, tn] = co_await net::async_write(conn->socket, net::buffer(wire.data() + i, std::min(step, wire.size() - i)),
                                                           nothrow_awaitable);
                (void)tn;
                if (tec) co_return;
                if (r.mode != fault::trickle) continue;
                conn->timer.expires_after(r.trickle_every);
                auto [ttec] = co_await conn->timer.async_wait(nothrow_awaitable);
                if (ttec) co_return;
            }
            boost::system::error_code ec;
            conn->socket.shutdown(tcp::socket::shutdown_both, ec);
            conn->socket.close(ec);
            co_return;
        }
        auto [wec, wn] = co_await http::async_write(conn->socket, res, nothrow_awaitable);
        (void)wn;
        if (wec) co_return;
        if (!res.keep_alive()) {
            boost::system::error_code ec;
            conn->socket.shutdown(tcp::socket::shutdown_send, ec);
            co_return;
        }
    }
}

net::awaitable<void> fake_upstream::impl::accept_loop(fake_upstream& self) {
    auto& im = *self.impl_;
    for (;;) {
        auto [ec, socket] = co_await im.acceptor.async_accept(nothrow_awaitable);
        if (ec) {
            if (ec == net::error::operation_aborted || !im.acceptor.is_open()) co_return;
            continue;  // e.g. EMFILE: keep serving
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto conn = std::make_shared<fake_connection>(std::move(socket));
        im.forget_expired();
        im.connections.push_back(conn);
        net::co_spawn(im.ioc, serve(self, conn), net::detached);
    }
}


fake_upstream::fake_upstream() : impl_(std::make_unique<impl>()) {
    tcp::endpoint ep{net::ip::make_address_v4("127.0.0.1"), 0};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(net::socket_base::max_listen_connections);
    port_ = impl_->acceptor.local_endpoint().port();
    net::co_spawn(impl_->ioc, impl::accept_loop(*this), net::detached);
    thread_ = std::thread([this] { impl_->ioc.run(); });
}

fake_upstream::fake_upstream(const tls_identity& identity) : fake_upstream() {
    tls_ = std::make_unique<tls_front>(port_, identity);
}

fake_upstream::~fake_upstream() {
    tls_.reset();  // first: it relays to this server
    net::post(impl_->ioc, [this] { impl_->shutdown(); });
    // Every coroutine ends once its socket/timer is closed, so run() returns.
    thread_.join();
}

std::uint16_t fake_upstream::port() const { return tls_ ? tls_->port() : port_; }

std::string fake_upstream::base_url() const {
    return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http", port());
}

std::size_t fake_upstream::failed_tls_handshakes() const { return tls_ ? tls_->failed_handshakes() : 0; }

void fake_upstream::set_route(std::string key, fake_response response) {
    std::scoped_lock lk(mu_);
    routes_.insert_or_assign(std::move(key), std::move(response));
}

void fake_upstream::remove_route(const std::string& key) {
    std::scoped_lock lk(mu_);
    routes_.erase(key);
}

fake_response fake_upstream::lookup(std::string_view target) const {
    {
        std::scoped_lock lk(mu_);
        if (auto it = routes_.find(target); it != routes_.end()) return it->second;
        if (auto it = routes_.find(path_of(target)); it != routes_.end()) return it->second;
    }
    // Unknown: answer the way the real provider does.
    if (path_of(target).starts_with("/v8/finance/chart/")) return with_status(404, yahoo_unknown_symbol_body());
    return with_status(404, R"({"message":"NotFound"})");
}

void fake_upstream::record(recorded_request r) {
    std::scoped_lock lk(mu_);
    requests_.push_back(std::move(r));
}

std::size_t fake_upstream::request_count(std::string_view path) const {
    std::scoped_lock lk(mu_);
    std::size_t n = 0;
    for (const auto& r : requests_)
        if (r.target == path || path_of(r.target) == path) ++n;
    return n;
}

std::vector<recorded_request> fake_upstream::requests() const {
    std::scoped_lock lk(mu_);
    return requests_;
}

bool fake_upstream::wait_for_requests(std::string_view path, std::size_t n, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (request_count(path) >= n) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// --- ready-made responses ---------------------------------------------------

fake_response json_ok(std::string body) {
    fake_response r;
    r.body = std::move(body);
    return r;
}

fake_response with_status(unsigned status, std::string body, std::string content_type) {
    fake_response r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

fake_response html_page(unsigned status) {
    return with_status(status,
                       "<!DOCTYPE html>\n<html><head><title>Yahoo</title></head>"
                       "<body><p>Will be right back...</p><p>Thank you for your patience.</p></body></html>\n",
                       "text/html; charset=utf-8");
}

fake_response closing() {
    fake_response r;
    r.mode = fault::close_without_reply;
    return r;
}

fake_response hanging() {
    fake_response r;
    r.mode = fault::hang;
    return r;
}

fake_response server_error() {
    return with_status(500, R"({"error":"Internal Server Error"})");
}

fake_response rate_limited(std::chrono::seconds retry_after) {
    auto r = with_status(429, R"({"error":"Too Many Requests"})");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return r;
}

fake_response trickling(fake_response r, std::chrono::milliseconds every) {
    r.mode = fault::trickle;
    r.trickle_every = every;
    return r;
}

fake_response resetting() {
    fake_response r;
    r.mode = fault::reset;
    return r;
}

fake_response garbage() {
    return json_ok(std::string("\x1f\x8b\x08\0garbage{{[\"\xff\xfe not json at all", 30));
}

fake_response truncated(fake_response r) {
    r.mode = fault::truncate;
    return r;
}

fake_response oversized(std::size_t bytes) {
    std::string body = R"({"padding":")";
    body.append(bytes > body.size() + 2 ? bytes - body.size() - 2 : 0, 'x');
    body += "\"}";
    return json_ok(std::move(body));
}

// --- bodies -----------------------------------------------------------------

namespace {

// Informational 2026 fields (fulldayChange…): plain floating point is fine here,
// they are not what tickerd should compute with.
std::string rounded_text(double v, int places) {
    double scale = std::pow(10.0, places);
    double r = std::round(v * scale) / scale;
    if (r == 0.0) r = 0.0;  // no "-0"
    return fmt::format("{}", r);
}

}  // namespace

std::string yahoo_chart_body(std::string_view symbol, std::string_view price_text, std::string_view prev_close_text,
                             std::string_view currency, std::int64_t regular_market_time, std::int64_t period_start,
                             std::int64_t period_end) {
    const bool fx = symbol.ends_with("=X");
    const std::string_view exchange = fx ? "CCY" : "NMS";
    const std::string_view full_exchange = fx ? "CCY" : "NasdaqGS";
    const std::string_view instrument = fx ? "CURRENCY" : "EQUITY";
    const std::string_view tz = fx ? "UTC" : "EDT";
    const std::string_view tz_name = fx ? "UTC" : "America/New_York";
    const int gmtoffset = fx ? 0 : -14400;
    const std::int64_t pre_start = fx ? period_start : period_start - 19800;
    const std::int64_t post_end = fx ? period_end : period_end + 14400;

    std::string optional_fields;
    char* end1 = nullptr;
    char* end2 = nullptr;
    const std::string price_s(price_text), prev_s(prev_close_text);
    double price = std::strtod(price_s.c_str(), &end1);
    double prev = std::strtod(prev_s.c_str(), &end2);
    if (end1 && *end1 == '\0' && end2 && *end2 == '\0' && prev > 0) {
        optional_fields = fmt::format(
            R"("regularMarketChangePercent":{pct},"fulldayPrice":{price},"fulldayChange":{chg},"fulldayChangePercent":{pct},)",
            fmt::arg("pct", rounded_text((price - prev) / prev * 100.0, 3)), fmt::arg("price", price_text),
            fmt::arg("chg", rounded_text(price - prev, 4)));
    }

    // Bars: the session's first bar and the live partial bar at regularMarketTime.
    std::string timestamps, opens, highs, lows, closes, volumes;
    if (regular_market_time > period_start + 300) {
        timestamps = fmt::format("{},{}", period_start, regular_market_time);
        opens = fmt::format("{},{}", prev_close_text, price_text);
        highs = fmt::format("{},{}", price_text, price_text);
        lows = fmt::format("{},{}", prev_close_text, price_text);
        closes = fmt::format("{},{}", price_text, price_text);
        volumes = fx ? "0,0" : "6120345,0";
    } else {
        timestamps = fmt::format("{}", regular_market_time);
        opens = highs = lows = closes = std::string(price_text);
        volumes = "0";
    }

    return fmt::format(
        R"({{"chart":{{"result":[{{"meta":{{"currency":"{currency}","symbol":"{symbol}","exchangeName":"{exchange}",)"
        R"("fullExchangeName":"{full_exchange}","instrumentType":"{instrument}","firstTradeDate":917015400,)"
        R"("regularMarketTime":{rmt},"hasPrePostMarketData":{prepost},"gmtoffset":{gmtoffset},"timezone":"{tz}",)"
        R"("exchangeTimezoneName":"{tz_name}","regularMarketPrice":{price},{optional})"
        R"("fiftyTwoWeekHigh":{price},"fiftyTwoWeekLow":{prev},"regularMarketDayHigh":{price},)"
        R"("regularMarketDayLow":{prev},"regularMarketVolume":{volume},"longName":"{symbol} long name",)"
        R"("shortName":"{symbol}","chartPreviousClose":{prev},"previousClose":{prev},"scale":3,"priceHint":2,)"
        R"("currentTradingPeriod":{{"pre":{{"timezone":"{tz}","start":{pre_start},"end":{start},"gmtoffset":{gmtoffset}}},)"
        R"("regular":{{"timezone":"{tz}","start":{start},"end":{end},"gmtoffset":{gmtoffset}}},)"
        R"("post":{{"timezone":"{tz}","start":{end},"end":{post_end},"gmtoffset":{gmtoffset}}}}},)"
        R"("tradingPeriods":[[{{"timezone":"{tz}","start":{start},"end":{end},"gmtoffset":{gmtoffset}}}]],)"
        R"("dataGranularity":"5m","range":"1d","validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]}},)"
        R"("timestamp":[{timestamps}],"indicators":{{"quote":[{{"open":[{opens}],"volume":[{volumes}],"low":[{lows}],)"
        R"("close":[{closes}],"high":[{highs}]}}]}}}}],"error":null}}}})",
        fmt::arg("currency", currency), fmt::arg("symbol", symbol), fmt::arg("exchange", exchange),
        fmt::arg("full_exchange", full_exchange), fmt::arg("instrument", instrument),
        fmt::arg("rmt", regular_market_time), fmt::arg("prepost", fx ? "false" : "true"),
        fmt::arg("gmtoffset", gmtoffset), fmt::arg("tz", tz), fmt::arg("tz_name", tz_name),
        fmt::arg("price", price_text), fmt::arg("optional", optional_fields), fmt::arg("prev", prev_close_text),
        fmt::arg("volume", fx ? "0" : "143221870"), fmt::arg("pre_start", pre_start),
        fmt::arg("start", period_start), fmt::arg("end", period_end), fmt::arg("post_end", post_end),
        fmt::arg("timestamps", timestamps), fmt::arg("opens", opens), fmt::arg("volumes", volumes),
        fmt::arg("lows", lows), fmt::arg("closes", closes), fmt::arg("highs", highs));
}

std::string yahoo_unknown_symbol_body() {
    return R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}})";
}

std::string coinbase_ticker_body(std::string_view price_text, std::string_view time_text) {
    return fmt::format(
        R"({{"ask":"{0}","bid":"{0}","volume":"8236.07601234","trade_id":1104412345,"price":"{0}",)"
        R"("size":"0.00021692","time":"{1}","rfq_volume":"27.410032"}})",
        price_text, time_text);
}

std::string coinbase_stats_body(std::string_view open_text) {
    // high/low/last deliberately equal the open: a daemon that took its price or
    // reference from them instead of ticker.price / stats.open shows up in the tests.
    return fmt::format(
        R"({{"open":"{0}","high":"{0}","low":"{0}","last":"{0}","volume":"8236.07601234",)"
        R"("volume_30day":"269980.64976703","rfq_volume_24hour":"27.410032","rfq_volume_30day":"2310.0972"}})",
        open_text);
}

std::string yahoo_path(std::string_view upstream_symbol) {
    std::string out = "/v8/finance/chart/";
    for (unsigned char c : upstream_symbol) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved)
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string coinbase_ticker_path(std::string_view product) { return fmt::format("/products/{}/ticker", product); }
std::string coinbase_stats_path(std::string_view product) { return fmt::format("/products/{}/stats", product); }

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t utc_ms(const std::string& text) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) != 7)
        throw std::runtime_error("not a UTC timestamp: " + text);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + ms;
}

std::string utc_text_ms(std::int64_t unix_seconds, int millis) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace tickerd::test

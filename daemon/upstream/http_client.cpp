#include "upstream/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <charconv>

#include "upstream/tls_client.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

class http_client::impl : public std::enable_shared_from_this<http_client::impl> {
public:
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;

    impl(net::any_io_executor ex, ssl::context& tls, base_url origin, http_client_options options)
        : strand_(net::make_strand(ex)),
          tls_ctx_(tls),
          origin_(std::move(origin)),
          options_(std::move(options)),
          resolver_(strand_),
          deadline_(strand_) {}

    void get(std::string target, std::function<void(fetch_result)> handler) {
        net::post(strand_, [self = shared_from_this(), target = std::move(target), h = std::move(handler)]() mutable {
            self->start(std::move(target), std::move(h));
        });
    }

    void close() {
        net::post(strand_, [self = shared_from_this()] {
            self->closed_ = true;
            self->fail("closed");
            self->drop_connection();
        });
    }

private:
    void start(std::string target, std::function<void(fetch_result)> handler) {
        if (closed_) {
            fetch_result r;
            r.error = "closed";
            handler(std::move(r));
            return;
        }
        ++generation_;
        finished_ = false;
        retried_ = false;
        handler_ = std::move(handler);
        req_ = std::make_shared<http::request<http::empty_body>>();
        req_->method(http::verb::get);
        req_->target(origin_.prefix + target);
        req_->version(11);
        const bool default_port = origin_.port == (origin_.tls ? "443" : "80");
        req_->set(http::field::host, default_port ? origin_.host : origin_.host + ":" + origin_.port);
        req_->set(http::field::user_agent, options_.user_agent);
        req_->set(http::field::accept, "application/json, text/plain;q=0.5, */*;q=0.1");
        req_->set(http::field::accept_language, "en-US,en;q=0.9");
        for (const auto& [name, value] : options_.headers) req_->set(name, value);
        req_->keep_alive(true);
        deadline_.expires_after(options_.timeout);
        deadline_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (ec || gen != self->generation_ || self->finished_) return;
            self->fail("timed out after " + std::to_string(self->options_.timeout.count()) + " ms");
        });
        if (connected_) {
            reused_ = true;
            do_write();
        } else {
            reused_ = false;
            do_resolve();
        }
    }

    template <class F>
    void with_stream(F&& f) {
        if (origin_.tls) {
            f(*tls_);
        } else {
            f(*plain_);
        }
    }

    beast::tcp_stream& lowest() { return origin_.tls ? beast::get_lowest_layer(*tls_) : *plain_; }

    void drop_connection() {
        connected_ = false;
        if (tls_) {
            beast::error_code ignored;
            beast::get_lowest_layer(*tls_).socket().close(ignored);
        }
        if (plain_) {
            beast::error_code ignored;
            plain_->socket().close(ignored);
        }
    }

    void do_resolve() {
        drop_connection();
        resolver_.async_resolve(origin_.host, origin_.port,
                                [self = shared_from_this(), gen = generation_](beast::error_code ec,
                                                                               const tcp::resolver::results_type& res) {
                                    if (gen != self->generation_ || self->finished_) return;
                                    if (ec) return self->fail("resolve " + self->origin_.host + ": " + ec.message());
                                    self->do_connect(res);
                                });
    }

    void do_connect(const tcp::resolver::results_type& endpoints) {
        // A fresh stream per connection: handlers of an abandoned one keep theirs alive.
        buffer_ = std::make_shared<beast::flat_buffer>();
        if (origin_.tls) {
            tls_ = std::make_shared<tls_stream>(strand_, tls_ctx_);
        } else {
            plain_ = std::make_shared<beast::tcp_stream>(strand_);
        }
        lowest().async_connect(endpoints, [self = shared_from_this(), gen = generation_, keep = keepalive()](
                                              beast::error_code ec, const tcp::endpoint&) {
            if (gen != self->generation_ || self->finished_) return;
            if (ec) return self->fail("connect: " + ec.message());
            if (self->origin_.tls) return self->do_handshake();
            self->connected_ = true;
            self->do_write();
        });
    }

    std::shared_ptr<void> keepalive() const {
        if (origin_.tls) return tls_;
        return plain_;
    }

    void do_handshake() {
        if (auto error = prepare_tls_client(*tls_, origin_.host); !error.empty()) return fail(error);
        tls_->async_handshake(ssl::stream_base::client,
                              [self = shared_from_this(), gen = generation_, keep = keepalive()](beast::error_code ec) {
                                  if (gen != self->generation_ || self->finished_) return;
                                  if (ec) return self->fail("TLS handshake: " + ec.message());
                                  self->connected_ = true;
                                  self->do_write();
                              });
    }

    void do_write() {
        with_stream([this](auto& stream) {
            http::async_write(stream, *req_,
                              [self = shared_from_this(), gen = generation_, keep = keepalive(), req = req_](
                                  beast::error_code ec, std::size_t) {
                                  if (gen != self->generation_ || self->finished_) return;
                                  if (ec) return self->retry_or_fail("write: " + ec.message());
                                  self->do_read();
                              });
        });
    }

    void do_read() {
        // Parser and buffer belong to this read: an abandoned read keeps its own alive.
        parser_ = std::make_shared<http::response_parser<http::string_body>>();
        parser_->body_limit(options_.max_body_bytes);
        parser_->header_limit(32 * 1024);
        with_stream([this](auto& stream) {
            http::async_read(stream, *buffer_, *parser_,
                             [self = shared_from_this(), gen = generation_, keep = keepalive(), parser = parser_,
                              buffer = buffer_](beast::error_code ec, std::size_t) {
                                 if (gen != self->generation_ || self->finished_) return;
                                 if (ec == http::error::body_limit) {
                                     return self->fail("response body larger than " +
                                                       std::to_string(self->options_.max_body_bytes) + " bytes");
                                 }
                                 if (ec) return self->retry_or_fail("read: " + ec.message());
                                 self->on_response();
                             });
        });
    }

    // A kept-alive connection the server closed meanwhile: reconnect once.
    void retry_or_fail(std::string what) {
        if (reused_ && !retried_) {
            retried_ = true;
            reused_ = false;
            do_resolve();
            return;
        }
        fail(std::move(what));
    }

    void on_response() {
        auto res = parser_->release();
        fetch_result r;
        r.ok = true;
        r.status = res.result_int();
        r.content_type = std::string(res[http::field::content_type]);
        const auto ra = res[http::field::retry_after];
        unsigned secs = 0;
        const auto [p, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), secs);
        if (!ra.empty() && ec == std::errc{} && p == ra.data() + ra.size()) r.retry_after = std::chrono::seconds(secs);
        r.body = std::move(res.body());
        if (!res.keep_alive()) drop_connection();
        finish(std::move(r));
    }

    void fail(std::string what) {
        if (finished_) return;
        drop_connection();
        resolver_.cancel();
        fetch_result r;
        r.error = std::move(what);
        finish(std::move(r));
    }

    void finish(fetch_result r) {
        if (finished_) return;
        finished_ = true;
        deadline_.cancel();
        auto h = std::move(handler_);
        handler_ = nullptr;
        if (h) h(std::move(r));
    }

    net::strand<net::any_io_executor> strand_;
    ssl::context& tls_ctx_;
    base_url origin_;
    http_client_options options_;
    tcp::resolver resolver_;
    net::steady_timer deadline_;
    std::shared_ptr<tls_stream> tls_;
    std::shared_ptr<beast::tcp_stream> plain_;
    std::shared_ptr<beast::flat_buffer> buffer_;
    std::shared_ptr<http::request<http::empty_body>> req_;
    std::shared_ptr<http::response_parser<http::string_body>> parser_;
    std::function<void(fetch_result)> handler_;
    std::uint64_t generation_ = 0;
    bool finished_ = true;
    bool connected_ = false;
    bool reused_ = false;
    bool retried_ = false;
    bool closed_ = false;
};

http_client::http_client(net::any_io_executor ex, ssl::context& tls, base_url origin, http_client_options options)
    : impl_(std::make_shared<impl>(std::move(ex), tls, std::move(origin), std::move(options))) {}

http_client::~http_client() { impl_->close(); }

void http_client::get(std::string target, std::function<void(fetch_result)> handler) {
    impl_->get(std::move(target), std::move(handler));
}

void http_client::close() { impl_->close(); }

}  // namespace tickerd

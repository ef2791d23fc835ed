#include "serve/sse_session.hpp"

#include <array>
#include <span>

#include <boost/beast/core.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "serve/op_memory.hpp"
#include "serve/stream_session.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

// The Server-Sent Events transport of a stream_session: the response head,
// `event:`/`id:`/`data:` lines, and a socket that is only watched for its end.
class sse_session final : public stream_session {
public:
    sse_session(net::ip::tcp::socket&& socket, const stream_request& what, connection_slot slot, server_state& state)
        : stream_session(socket.get_executor(), stream_transport::sse, what, std::move(slot), state),
          stream_(std::move(socket)) {}

    void run(unsigned version, const std::string& cors_origin) {
        // Headers first; `retry` tells EventSource how soon to reconnect.
        std::string cors;
        if (!cors_origin.empty()) {
            cors = fmt::format("Access-Control-Allow-Origin: {}\r\n{}Access-Control-Expose-Headers: ETag\r\n",
                               cors_origin, cors_origin == "*" ? "" : "Vary: Origin\r\n");
        }
        send_raw(std::make_shared<const std::string>(fmt::format(
            "HTTP/1.{} 200 OK\r\nServer: tickerd/{}\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n{}\r\nretry: 2000\n\n",
            version == 10 ? 0 : 1, TICKERD_VERSION, cors)));
        // The same slow-client gate as WebSocket: never far ahead of what the client has taken.
        gate_backlog(stream_.socket().native_handle());
        open_stream();
        watch_for_close();
    }

private:
    void write_message(const outgoing& msg) override {
        static const std::string end = "\n\n";
        buffers_.clear();
        if (!msg.event.empty()) {
            // "event: update\nid: N\ndata: " + message + "\n\n"; the JSON holds no newline.
            prefix_ = fmt::format("event: {}\nid: {}\ndata: ", msg.event, msg.id);
            buffers_.emplace_back(prefix_.data(), prefix_.size());
        }
        if (!msg.head.empty()) buffers_.emplace_back(msg.head.data(), msg.head.size());
        for (const auto& p : msg.pieces) buffers_.emplace_back(p->data(), p->size());
        if (!msg.event.empty()) buffers_.emplace_back(end.data(), end.size());
        buffers_bytes_ = 0;
        for (const auto& b : buffers_) buffers_bytes_ += b.size();
        // A write unfinished within slow_client_timeout: the client reads nothing; drop it.
        stream_.expires_after(state().cfg.limits.slow_client_timeout);
        // A span, not the vector: Asio copies the buffer sequence per write.
        net::async_write(stream_, std::span<const net::const_buffer>(buffers_),
                         bind_op_memory([self = shared(this)](beast::error_code ec, std::size_t) {
                             self->written(ec, self->buffers_bytes_, self->buffers_bytes_);
                         }));
    }

    void write_failed(const boost::system::error_code& ec) override {
        if (ec == beast::error::timeout) {
            // One message bigger than the free send buffer, and the client took none of it.
            return too_slow(fmt::format("a write unfinished for {} ms", state().cfg.limits.slow_client_timeout.count()));
        }
        close(true);
    }

    void close_too_slow(const std::string& why) override {
        spdlog::info("event stream client too slow ({}): closing", why);
        close(true);
    }

    void shut_down() override { close(); }

    // EventSource never sends after its request: any read completion means the client went away.
    void watch_for_close() {
        stream_.socket().async_read_some(net::buffer(scratch_), [self = shared(this)](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->watch_for_close();
        });
    }

    // `reset`: for a client that reads too little, drop unsent bytes at once
    // rather than let the kernel hold them for a reader that may never come.
    void close(bool reset = false) {
        if (!start_closing(false)) return;
        closed();
        beast::error_code ignored;
        if (reset) stream_.socket().set_option(net::socket_base::linger(true, 0), ignored);
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    std::string prefix_;
    std::vector<net::const_buffer> buffers_;  // of the write in flight
    std::size_t buffers_bytes_ = 0;
    std::array<char, 256> scratch_{};
};

}  // namespace

void start_sse_session(net::ip::tcp::socket socket, unsigned http_version, stream_request what, std::string cors_origin,
                       connection_slot slot, server_state& state) {
    std::make_shared<sse_session>(std::move(socket), what, std::move(slot), state)->run(http_version, cors_origin);
}

}  // namespace tickerd

#include "serve/listener.hpp"

#include <boost/asio/strand.hpp>
#include <systemd/sd-daemon.h>

#include "serve/http_session.hpp"

namespace tickerd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(io_shards& shards, server_state& state, bool ops)
    : shards_(shards), acceptor_(net::make_strand(shards.main())), retry_(acceptor_.get_executor()), state_(state), ops_(ops) {}

std::string listener::bind(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(host, ec);
    if (ec) return "invalid listen address " + host + ": " + ec.message();
    const tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (ec) return "socket: " + ec.message();
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return "setsockopt: " + ec.message();
    acceptor_.bind(ep, ec);
    if (ec) return "bind " + host + ":" + std::to_string(port) + ": " + ec.message();
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return "listen: " + ec.message();
    return {};
}

std::string listener::adopt(int fd) {
    tcp protocol = tcp::v4();
    if (sd_is_socket(fd, AF_INET6, SOCK_STREAM, 1) > 0) {
        protocol = tcp::v6();
    } else if (sd_is_socket(fd, AF_INET, SOCK_STREAM, 1) <= 0) {
        return "the socket passed by systemd (fd " + std::to_string(fd) +
               ") is not a listening TCP stream socket: use ListenStream= with an address or port";
    }
    boost::system::error_code ec;
    acceptor_.assign(protocol, fd, ec);
    if (ec) return "adopting the socket passed by systemd: " + ec.message();
    return {};
}

void listener::start() { do_accept(); }

void listener::stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->retry_.cancel();
        self->acceptor_.close(ignored);
    });
}

void listener::do_accept() {
    acceptor_.async_accept(shards_.peek(), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (ec) {
            // EMFILE and friends: pause briefly instead of spinning, then keep accepting.
            self->accept_log_.failure("accept", ec.message(), " (accepting again every 100 ms)");
            self->accept_failing_ = true;
            self->retry_.expires_after(std::chrono::milliseconds(100));
            self->retry_.async_wait([self](boost::system::error_code) { self->do_accept(); });
            return;
        }
        if (self->accept_failing_) {
            self->accept_failing_ = false;
            self->accept_log_.recovered("accept", "failed accepts");
        }
        self->shards_.advance();
        self->admit(std::move(socket));
        self->accept_waiting();
        self->do_accept();
    });
}

// The connections already waiting in the backlog, taken now rather than one
// per turn of shard 0's loop, which a busy fan-out makes long: a crowd
// connecting at once (a page published, a restart) is let in at the pace it
// arrives. At most a bounded burst, so that shard 0's other work keeps its turn.
void listener::accept_waiting() {
    constexpr int burst = 64;
    boost::system::error_code ec;
    if (!acceptor_.non_blocking()) acceptor_.non_blocking(true, ec);  // would_block, not a wait, when none is left
    if (ec) return;
    for (int i = 0; i < burst; ++i) {
        auto& shard = shards_.peek();
        tcp::socket socket(shard);
        acceptor_.accept(socket, ec);
        if (ec) return;  // none waiting (would_block); anything else, the next async_accept reports
        shards_.advance();
        admit(std::move(socket));
    }
}

void listener::admit(tcp::socket socket) {
    // Small pushed updates must leave at once, not wait for Nagle's algorithm.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    start_http_session(std::move(socket), state_, ops_);
}

}  // namespace tickerd

#pragma once
// Accepts TCP connections on shard 0 and starts an http_session for each on the
// next shard in turn (serve/io_shards).
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "ops/rate_limited_log.hpp"
#include "serve/io_shards.hpp"
#include "serve/server_state.hpp"

namespace tickerd {

class listener : public std::enable_shared_from_this<listener> {
public:
    // `ops`: the listener of server.ops_listen (its sessions answer only /metrics, /healthz and /readyz).
    listener(io_shards& shards, server_state& state, bool ops = false);
    // Binds and listens; returns an error text on failure (port in use, bad address).
    std::string bind(const std::string& host, std::uint16_t port);
    // Takes over a listening TCP socket passed by systemd socket activation
    // (instead of bind); returns an error text if `fd` is not one.
    std::string adopt(int fd);
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop();

private:
    void do_accept();
    void accept_waiting();
    void admit(boost::asio::ip::tcp::socket socket);

    io_shards& shards_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_;
    server_state& state_;
    const bool ops_;
    // Accept errors (EMFILE under a connection flood): the first logged, repeats summed up once a minute.
    rate_limited_log accept_log_;
    bool accept_failing_ = false;
};

}  // namespace tickerd

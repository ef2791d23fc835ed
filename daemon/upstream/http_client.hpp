#pragma once
// An async HTTP/1.1 GET client for one upstream origin: HTTPS with certificate
// and host-name verification and SNI, keep-alive reuse, a whole-request
// deadline and a body cap. Beast stays inside http_client.cpp.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "tickerd/base_url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tickerd {

struct fetch_result {
    bool ok = false;          // a complete response arrived (any status)
    std::string error;        // transport failure, when !ok: "connect: Connection refused"
    unsigned status = 0;
    std::string content_type;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;
};

struct http_client_options {
    std::chrono::milliseconds timeout{4000};  // whole request: resolve, connect, TLS, write, read
    std::size_t max_body_bytes = 1 << 20;
    std::string user_agent;
    std::vector<std::pair<std::string, std::string>> headers;  // extra request headers (API keys: never logged)
};

class http_client {
public:
    http_client(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, base_url origin,
                http_client_options options);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // One GET at a time. The handler runs on the client's strand.
    void get(std::string target, std::function<void(fetch_result)> handler);
    // Closes the connection and cancels a pending request (its handler still runs).
    void close();

    class impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace tickerd

#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive), answers them through
// handle_api, and hands WebSocket upgrades of /v1/stream to ws_session.
#include <boost/asio/ip/tcp.hpp>

#include "serve/server_state.hpp"

namespace tickerd {

// `ops`: accepted by the ops listener (server.ops_listen), which answers only /metrics, /healthz and /readyz.
void start_http_session(boost::asio::ip::tcp::socket socket, server_state& state, bool ops = false);

}  // namespace tickerd

#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive), answers them through
// handle_api, and hands WebSocket upgrades of /v1/stream to ws_session.
#include <boost/asio/ip/tcp.hpp>

#include "serve/server_state.hpp"

namespace tickerd {

void start_http_session(boost::asio::ip::tcp::socket socket, server_state& state);

}  // namespace tickerd

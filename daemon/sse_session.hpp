#pragma once
// Server-Sent Events fallback (GET /v1/events): the same snapshot, update and
// heartbeat messages as the WebSocket stream, for clients behind proxies that
// block WebSocket. Beast stays in sse_session.cpp.
#include <boost/asio/ip/tcp.hpp>

#include "daemon/server_state.hpp"
#include "daemon/ws_session.hpp"

namespace tickerd {

// `keep_alive`/`version` come from the request; the response never ends by itself.
void start_sse_session(boost::asio::ip::tcp::socket socket, unsigned http_version, stream_request what,
                       server_state& state);

}  // namespace tickerd

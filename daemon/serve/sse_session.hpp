#pragma once
// Server-Sent Events fallback (GET /v1/events): the same snapshot, update and
// heartbeat messages as the WebSocket stream, for clients behind proxies that
// block WebSocket. Beast stays in sse_session.cpp.
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "serve/connection_limiter.hpp"
#include "serve/server_state.hpp"
#include "serve/stream_request.hpp"

namespace tickerd {

// `version` comes from the request; the response never ends by itself. `cors_origin`
// is the Access-Control-Allow-Origin value to send (empty: none). `slot` is the
// connection's place in the connection limits, held until it closes.
void start_sse_session(boost::asio::ip::tcp::socket socket, unsigned http_version, stream_request what,
                       std::string cors_origin, connection_slot slot, server_state& state);

}  // namespace tickerd

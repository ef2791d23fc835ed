#pragma once
// Starts a WebSocket stream session on an accepted, upgraded connection.
// Beast stays in ws_session.cpp; http_session hands over the socket and request.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "serve/connection_limiter.hpp"
#include "serve/server_state.hpp"
#include "serve/stream_request.hpp"

namespace tickerd {

// `slot` is the connection's place in the connection limits, held until it closes.
void start_ws_session(boost::asio::ip::tcp::socket socket, boost::beast::http::request<boost::beast::http::string_body> req,
                      stream_request what, connection_slot slot, server_state& state);

}  // namespace tickerd

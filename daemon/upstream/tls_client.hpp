#pragma once
// The client side of TLS to an upstream, for the two Beast units that connect
// (http_client.cpp, coinbase_feed.cpp): SNI for host names (none for an IP
// literal, RFC 6066) and verification of the peer's certificate for that host.
#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace tickerd {

// Call before the handshake. An error text, or empty.
std::string prepare_tls_client(boost::beast::ssl_stream<boost::beast::tcp_stream>& tls, const std::string& host);

}  // namespace tickerd

#include "upstream/tls_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace tickerd {

std::string prepare_tls_client(boost::beast::ssl_stream<boost::beast::tcp_stream>& tls, const std::string& host) {
    namespace ssl = boost::asio::ssl;
    // SNI carries host names only (RFC 6066): none for an IP literal, which the certificate must name instead.
    boost::system::error_code not_ip;
    boost::asio::ip::make_address(host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(tls.native_handle(), host.c_str())) return "TLS: cannot set SNI host name";
    tls.set_verify_mode(ssl::verify_peer);
    tls.set_verify_callback(ssl::host_name_verification(host));
    return {};
}

}  // namespace tickerd

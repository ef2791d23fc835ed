#pragma once
// TLS for the fake upstreams: a throw-away test CA whose server certificates are
// made at test time with the `openssl` command (nothing is checked in), and a
// TLS front that terminates TLS on 127.0.0.1 and relays the plain bytes to a
// fake upstream's port. Together they turn fake_upstream and fake_ws_upstream
// into an https:// or wss:// upstream (see their `tls_identity` constructors).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tickerd::test {

// A server certificate and its key, as PEM files.
struct tls_identity {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
};

class test_ca {
public:
    test_ca();   // a fresh CA in a temp dir; throws std::runtime_error when openssl fails
    ~test_ca();  // removes the temp dir
    test_ca(const test_ca&) = delete;
    test_ca& operator=(const test_ca&) = delete;

    // The CA certificate (what a client must trust).
    const std::filesystem::path& ca_file() const { return ca_cert_; }
    // A server certificate signed by this CA, valid for the given subjectAltNames
    // ("IP:127.0.0.1", "DNS:localhost").
    tls_identity issue(const std::string& name, const std::vector<std::string>& subject_alt_names);

private:
    std::filesystem::path dir_;
    std::filesystem::path ca_cert_;
    std::filesystem::path ca_key_;
};

// Terminates TLS on 127.0.0.1:0 and relays each connection to 127.0.0.1:backend_port.
class tls_front {
public:
    tls_front(std::uint16_t backend_port, const tls_identity& identity);
    ~tls_front();
    tls_front(const tls_front&) = delete;
    tls_front& operator=(const tls_front&) = delete;

    std::uint16_t port() const { return port_; }
    // TLS handshakes that failed (e.g. the client did not trust the certificate).
    std::size_t failed_handshakes() const;
    std::size_t completed_handshakes() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace tickerd::test

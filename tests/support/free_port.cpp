#include "support/free_port.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace tickerd::test {

namespace {

// The first port of the ephemeral range; Linux's default when it cannot be read.
unsigned ephemeral_low() {
    std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
    unsigned low = 0, high = 0;
    if (f >> low >> high && low > 0) return low;
    return 32768;
}

// Binds 127.0.0.1:port (0: any), without SO_REUSEADDR, so that a port still in
// TIME_WAIT counts as used; returns the port bound, or 0.
std::uint16_t try_bind(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    socklen_t len = sizeof a;
    std::uint16_t bound = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        bound = ntohs(a.sin_port);
    ::close(fd);
    return bound;
}

}  // namespace

std::uint16_t free_loopback_port() {
    constexpr unsigned first = 20000;  // above the well-known and most services' ports
    const unsigned low = ephemeral_low();
    if (low > first + 1000) {
        std::mt19937 pick(std::random_device{}());
        std::uniform_int_distribution<unsigned> in(first, low - 1);
        for (int attempt = 0; attempt < 200; ++attempt) {
            if (const auto port = try_bind(static_cast<std::uint16_t>(in(pick)))) return port;
        }
    }
    // An unusual ephemeral range: any free port, from the kernel.
    if (const auto port = try_bind(0)) return port;
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
}

}  // namespace tickerd::test

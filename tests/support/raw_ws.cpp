#include "support/raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tickerd::test {

namespace {

int ms_left(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

unsigned raw_frame::close_code() const {
    if (opcode != 8 || payload.size() < 2) return 0;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

raw_socket::~raw_socket() { close(); }

void raw_socket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void raw_socket::connect(std::uint16_t port, int rcvbuf) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
}

void raw_socket::send_all(std::string_view bytes, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!bytes.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, ms_left(deadline)) <= 0) throw std::runtime_error("send: timeout");
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool raw_socket::fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        eof_ = true;
        return false;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> raw_socket::read_some(std::chrono::milliseconds timeout, std::size_t max) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (in_.empty()) fill(deadline);
    if (in_.empty() && eof_) return std::nullopt;
    std::string out = in_.substr(0, max);
    in_.erase(0, out.size());
    return out;
}

bool raw_socket::wait_eof(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) {
        fill(deadline);
        in_.clear();
    }
    return eof_;
}

std::string raw_socket::read_to_eof(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) fill(deadline);
    return std::exchange(in_, {});
}

bool raw_socket::peer_gone() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return true;
    return info.tcpi_state == TCP_CLOSE || info.tcpi_state == TCP_CLOSE_WAIT;
}

unsigned raw_socket::ws_upgrade(std::string_view target, std::string_view extra, std::chrono::milliseconds timeout) {
    std::string req = "GET " + std::string(target) +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                      std::string(extra) + "\r\n";
    send_all(req, timeout);
    // Byte by byte to the blank line: nothing after the head is consumed (a non-reader reads no more).
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string head;
    while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms_left(deadline)) <= 0) throw std::runtime_error("upgrade: no response head in time");
        char c = 0;
        const ssize_t n = ::recv(fd_, &c, 1, 0);
        if (n <= 0) throw std::runtime_error("upgrade: connection closed: " + head);
        head += c;
        if (head.size() > 16384) throw std::runtime_error("upgrade: response head too long");
    }
    if (head.size() < 12) throw std::runtime_error("upgrade: bad response " + head);
    return static_cast<unsigned>(std::stoul(head.substr(9, 3)));
}

void raw_socket::send_frame(unsigned opcode, std::string_view payload, bool fin) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
    const std::size_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(0x80 | n);
    } else if (n < 65536) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff);
    }
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    for (unsigned char m : mask) f += static_cast<char>(m);
    for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ static_cast<char>(mask[i % 4]));
    send_all(f);
}

std::optional<raw_frame> raw_socket::read_frame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto need = [&](std::size_t n) {
        while (in_.size() < n) {
            if (!fill(deadline) && (eof_ || std::chrono::steady_clock::now() >= deadline)) return false;
        }
        return true;
    };
    if (!need(2)) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(in_[0]);
    const auto b1 = static_cast<unsigned char>(in_[1]);
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
        if (!need(4)) return std::nullopt;
        len = (static_cast<unsigned char>(in_[2]) << 8) | static_cast<unsigned char>(in_[3]);
        header = 4;
    } else if (len == 127) {
        if (!need(10)) return std::nullopt;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(in_[2 + i]);
        header = 10;
    }
    if (!need(header + len)) return std::nullopt;
    raw_frame f;
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0f;
    f.payload = in_.substr(header, len);
    in_.erase(0, header + len);
    return f;
}

std::optional<unsigned> raw_socket::wait_close(std::chrono::milliseconds timeout, std::vector<std::string>* texts) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto f = read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!f) {
            if (eof_) return 0u;
            return std::nullopt;
        }
        if (f->opcode == 8) return f->close_code();
        if (f->opcode == 1 && texts != nullptr) texts->push_back(f->payload);
    }
}

}  // namespace tickerd::test

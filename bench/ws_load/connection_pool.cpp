#include "connection_pool.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "message_scan.hpp"
#include "ws_protocol.hpp"

namespace ws_load {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t read_buffer_bytes = 256 * 1024;
constexpr std::size_t max_message_bytes = 16 * 1024 * 1024;

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

connection_pool::connection_pool(const options& opts)
    : opts_(opts), request_(upgrade_request(opts.host, opts.port, opts.path)), read_buf_(read_buffer_bytes) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    conns_.resize(opts.probes + opts.clients);
    // Probes spread evenly through the connection order, not first: a server that
    // sends to its clients in the order they connected would otherwise favour them.
    const std::size_t total = conns_.size();
    for (std::size_t k = 0; k < opts.probes; ++k) conns_[(2 * k + 1) * total / (2 * opts.probes)].probe = true;
}

connection_pool::~connection_pool() {
    for (auto& c : conns_)
        if (c.fd >= 0) ::close(c.fd);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void connection_pool::start_connection(std::size_t i) {
    connection& c = conns_[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        errors_[std::string("socket: ") + std::strerror(errno)]++;
        c.st = state::closed;
        return;
    }
    // The port is chosen at connect(), per (source, destination): each source
    // address then has its own ephemeral range.
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + static_cast<std::uint32_t>(i % opts_.sources));
    if (::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return fail(c, std::string("bind: ") + std::strerror(errno));
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(opts_.port);
    if (::inet_pton(AF_INET, opts_.host.c_str(), &dst.sin_addr) != 1) throw std::runtime_error("--host must be an IPv4 address");
    c.st = state::connecting;
    ++in_flight_;
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)
        return fail(c, std::string("connect: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return fail(c, std::string("epoll_ctl: ") + std::strerror(errno));
}

void connection_pool::fail(connection& c, const std::string& why) {
    if (c.st == state::connecting || c.st == state::handshaking) --in_flight_;
    if (c.st == state::open) (c.probe ? open_probes_ : open_bulk_)--;
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.st = state::closed;
    c.pending.clear();
    c.pending.shrink_to_fit();
    c.fragments.clear();
    c.fragments.shrink_to_fit();
    if (!why.empty()) errors_[why]++;
}

void connection_pool::on_connected(connection& c) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(c, std::string("connect: ") + std::strerror(err));
    // The request is far smaller than an empty socket's send buffer.
    if (::send(c.fd, request_.data(), request_.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request_.size()))
        return fail(c, "handshake: request not sent");
    c.st = state::handshaking;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void connection_pool::on_event(std::size_t i, std::uint32_t events) {
    connection& c = conns_[i];
    if (c.st == state::connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
        return;
    }
    if (c.st == state::handshaking || c.st == state::open) on_readable(c);
}

void connection_pool::on_readable(connection& c) {
    const ssize_t n = ::recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n == 0) return fail(c, c.st == state::open ? "closed by the server without a close frame" : "handshake: connection closed");
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        return fail(c, std::string(c.st == state::open ? "read: " : "handshake: ") + std::strerror(errno));
    }
    std::string_view data(read_buf_.data(), static_cast<std::size_t>(n));
    if (!c.pending.empty()) {
        c.pending.append(data);
        data = c.pending;
    }
    std::size_t used = 0;
    if (c.st == state::handshaking) {
        std::size_t header = 0;
        switch (check_upgrade_response(data, header)) {
            case upgrade_status::incomplete:
                if (c.pending.empty()) c.pending.assign(data);
                if (c.pending.size() > 16384) fail(c, "handshake: answer header too long");
                return;
            case upgrade_status::refused: {
                const auto line = data.substr(0, data.find("\r\n"));
                return fail(c, "handshake: " + std::string(line.substr(line.find(' ') + 1, 3)) + " answer");
            }
            case upgrade_status::accepted:
                c.st = state::open;
                --in_flight_;
                (c.probe ? open_probes_ : open_bulk_)++;
                (c.probe ? established_probes_ : established_bulk_)++;
                used = header;
                break;
        }
    }
    const std::size_t taken = take_frames(c, data.substr(used));
    if (taken == std::string_view::npos) return;  // failed and closed
    used += taken;
    if (c.pending.empty()) {
        if (used < data.size()) c.pending.assign(data.substr(used));
    } else {
        c.pending.erase(0, used);
    }
}

std::size_t connection_pool::take_frames(connection& c, std::string_view data) {
    std::size_t used = 0;
    while (used < data.size()) {
        frame f;
        std::size_t n = 0;
        const auto status = parse_frame(data.substr(used), max_message_bytes, f, n);
        if (status == frame_status::incomplete) break;
        if (status == frame_status::bad) {
            fail(c, "protocol: bad frame from the server");
            return std::string_view::npos;
        }
        used += n;
        switch (f.op) {
            case opcode::text:
            case opcode::binary:
                if (f.fin) {
                    on_message(c, f.payload);
                } else {
                    c.fragments.assign(f.payload);
                }
                break;
            case opcode::continuation:
                c.fragments.append(f.payload);
                if (c.fragments.size() > max_message_bytes) {
                    fail(c, "protocol: message too long");
                    return std::string_view::npos;
                }
                if (f.fin) {
                    on_message(c, c.fragments);
                    c.fragments.clear();
                }
                break;
            case opcode::ping: {
                mask_seed_ = mask_seed_ * 1664525u + 1013904223u;
                const std::string pong = masked_control_frame(opcode::pong, f.payload, mask_seed_);
                ::send(c.fd, pong.data(), pong.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                break;
            }
            case opcode::close: {
                unsigned code = 1005;
                if (f.payload.size() >= 2)
                    code = (static_cast<unsigned>(static_cast<std::uint8_t>(f.payload[0])) << 8) |
                           static_cast<std::uint8_t>(f.payload[1]);
                closes_[code]++;
                fail(c, "");
                return std::string_view::npos;
            }
            default:
                break;
        }
    }
    return used;
}

void connection_pool::on_message(connection& c, std::string_view msg) {
    ++counts_.messages;
    counts_.bytes += msg.size();
    switch (kind_of(msg)) {
        case message_kind::update: {
            ++counts_.updates;
            counts_.quotes += count_quotes(msg);
            if (!c.probe || !measuring_) break;
            const std::int64_t now = now_us();
            if (opts_.latency_from == latency_origin::as_of) {
                // One sample per quote: receipt minus the upstream's time (whole ms, so up to 1 ms high).
                std::size_t pos = 0;
                while (const auto as_of = next_as_of_us(msg, pos)) {
                    latencies_.add(now - *as_of);
                    ++as_of_samples_;
                }
            } else if (const auto ts = publish_time_us(msg)) {
                latencies_.add(now - *ts);
                ++ts_samples_;
            } else if (const auto at = first_received_at_us(msg)) {
                latencies_.add(now - *at);
                ++received_at_samples_;
            }
            break;
        }
        case message_kind::snapshot:
            ++counts_.snapshots;
            break;
        case message_kind::heartbeat:
            ++counts_.heartbeats;
            break;
        case message_kind::other:
            break;
    }
}

void connection_pool::poll_once(int timeout_ms) {
    std::array<epoll_event, 512> events;
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int k = 0; k < n; ++k) on_event(static_cast<std::size_t>(events[static_cast<std::size_t>(k)].data.u64), events[static_cast<std::size_t>(k)].events);
}

double connection_pool::connect_all(double timeout_s) {
    const auto start = clock::now();
    const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s));
    while (clock::now() < deadline) {
        while (in_flight_ < opts_.inflight && next_to_start_ < conns_.size()) start_connection(next_to_start_++);
        if (in_flight_ == 0 && next_to_start_ == conns_.size()) break;
        poll_once(50);
    }
    const double took = std::chrono::duration<double>(clock::now() - start).count();
    for (auto& c : conns_) {
        if (c.st == state::connecting || c.st == state::handshaking) fail(c, "connect: timed out");
    }
    return took;
}

void connection_pool::run_for(double seconds) {
    const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    for (auto now = clock::now(); now < deadline; now = clock::now()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        poll_once(static_cast<int>(std::min<long long>(left + 1, 100)));
    }
}

void connection_pool::start_measuring() {
    counts_ = {};
    latencies_.clear();
    ts_samples_ = received_at_samples_ = as_of_samples_ = 0;
    measuring_ = true;
}

}  // namespace ws_load

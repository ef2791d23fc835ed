#pragma once
// Counts open client connections, in total and per client IP, against
// limits.max_connections and limits.max_connections_per_ip. A slot is an RAII
// ticket: the count drops when the connection's last owner lets it go. Thread-safe
// (a short mutex); no I/O, so it is unit-tested on its own.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tickerd {

class connection_limiter;

// Move-only; releases what it holds on destruction. Empty (default) holds nothing.
class connection_slot {
public:
    connection_slot() = default;
    connection_slot(connection_slot&& o) noexcept { *this = std::move(o); }
    connection_slot& operator=(connection_slot&& o) noexcept;
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
    ~connection_slot() { release(); }

    explicit operator bool() const { return owner_ != nullptr; }
    const std::string& ip() const { return ip_; }  // empty: counted in the total only
    void release();

private:
    friend class connection_limiter;
    connection_limiter* owner_ = nullptr;
    std::string ip_;
};

class connection_limiter {
public:
    // 0 disables that limit.
    connection_limiter(std::size_t max_total, std::size_t max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}

    // A slot in the total and, when `ip` is not empty, in that IP's count; an
    // empty slot when either limit is reached (nothing is counted then).
    connection_slot admit(const std::string& ip);
    // Moves a slot to another IP (a request relayed by a trusted proxy names
    // its client). False, and `slot` unchanged, when that IP is at its limit.
    bool reassign(connection_slot& slot, const std::string& ip);

    std::size_t total() const;
    std::size_t count(const std::string& ip) const;

private:
    friend class connection_slot;
    void release(const std::string& ip);

    const std::size_t max_total_;
    const std::size_t max_per_ip_;
    mutable std::mutex mu_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> per_ip_;
};

}  // namespace tickerd

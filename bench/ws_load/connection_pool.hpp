#pragma once
// N+P client WebSocket connections on one epoll instance, one thread: connects
// them in waves, answers pings, counts what arrives and times the probes.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latency_samples.hpp"
#include "options.hpp"

namespace ws_load {

struct delivery_counts {
    std::uint64_t messages = 0;  // all data messages, every type
    std::uint64_t updates = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t heartbeats = 0;
    std::uint64_t quotes = 0;    // quote objects in update messages
    std::uint64_t bytes = 0;     // payload bytes of data messages
};

class connection_pool {
public:
    explicit connection_pool(const options& opts);
    ~connection_pool();
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    // Opens every connection, at most opts.inflight handshakes at a time; returns
    // when each is open or failed, or after timeout_s. The time it took, in seconds.
    double connect_all(double timeout_s);
    // Serves the connections for this long.
    void run_for(double seconds);
    // From now on: counts start from zero and probe latencies are recorded.
    void start_measuring();

    const delivery_counts& counts() const { return counts_; }
    latency_samples& latencies() { return latencies_; }
    // Probe samples timed by "ts", and by the first quote's "received_at" (servers without "ts");
    // with --latency-from as_of, by each quote's "as_of" instead.
    std::uint64_t ts_samples() const { return ts_samples_; }
    std::uint64_t received_at_samples() const { return received_at_samples_; }
    std::uint64_t as_of_samples() const { return as_of_samples_; }
    std::size_t open_bulk() const { return open_bulk_; }
    std::size_t open_probes() const { return open_probes_; }
    std::size_t established_bulk() const { return established_bulk_; }
    std::size_t established_probes() const { return established_probes_; }
    // Close frames received, by code (1005: no code given).
    const std::map<unsigned, std::uint64_t>& closes() const { return closes_; }
    // Failures by kind ("connect: Connection refused", "handshake: HTTP 503", "reset", …).
    const std::map<std::string, std::uint64_t>& errors() const { return errors_; }

private:
    enum class state : std::uint8_t { idle, connecting, handshaking, open, closed };
    struct connection {
        int fd = -1;
        bool probe = false;
        state st = state::idle;
        std::string pending;    // an incomplete frame (or answer header) from the last read
        std::string fragments;  // a fragmented message being put together
    };

    void start_connection(std::size_t i);
    void on_event(std::size_t i, std::uint32_t events);
    void on_connected(connection& c);
    void on_readable(connection& c);
    // Consumes the complete frames at the start of data; returns the bytes used, or npos after a failure.
    std::size_t take_frames(connection& c, std::string_view data);
    void on_message(connection& c, std::string_view msg);
    void fail(connection& c, const std::string& why);
    void poll_once(int timeout_ms);

    const options opts_;
    const std::string request_;
    int epoll_fd_ = -1;
    std::vector<connection> conns_;  // probes first, then the bulk
    std::vector<char> read_buf_;
    std::size_t next_to_start_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t open_bulk_ = 0, open_probes_ = 0;
    std::size_t established_bulk_ = 0, established_probes_ = 0;
    bool measuring_ = false;
    delivery_counts counts_;
    latency_samples latencies_;
    std::uint64_t ts_samples_ = 0, received_at_samples_ = 0, as_of_samples_ = 0;
    std::map<unsigned, std::uint64_t> closes_;
    std::map<std::string, std::uint64_t> errors_;
    std::uint32_t mask_seed_ = 0x9e3779b9u;
};

}  // namespace ws_load

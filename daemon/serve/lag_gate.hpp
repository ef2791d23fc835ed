#pragma once
// The slow-client policy of a stream session, in time rather than bytes: a
// client is written to only while what it has not yet taken would reach it
// within `max_lag` at the rate it has been measured to take data; meanwhile
// the outbox conflates, so what goes out next carries the newest prices. A
// client that stays further behind than that for `slow_timeout`, or leaves a
// byte unacknowledged that long, is too slow and is closed.
//
// Pure: fed with what the session wrote and what the kernel said
// (send_queue_probe), no socket and no clock of its own.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "serve/send_queue_probe.hpp"

namespace tickerd {

class lag_gate {
public:
    using clock = std::chrono::steady_clock;

    struct settings {
        clock::duration max_lag;       // the newest price reaches the client within about this
        clock::duration slow_timeout;  // further behind than max_lag (or a byte unacknowledged) this long: too slow
        std::size_t byte_limit;        // never more than this ahead of the client, whatever its rate
    };

    enum class verdict { write, hold, too_slow };

    explicit lag_gate(settings s);


    // The kernel's send buffer may grow (autotuning): the byte limit follows it.
    void set_byte_limit(std::size_t bytes);

    // `bytes` were handed to the kernel at `now`.
    void wrote(std::size_t bytes, clock::time_point now);

    // Cheap, no system call: true when the kernel must be asked (look()) before
    // writing more; false: writing is within the allowance whatever the client took.
    bool must_look() const { return pending_bound_ > 0 && pending_bound_ >= allowance(); }

    // What to do, given what the kernel says now.
    verdict look(const send_queue_state& kernel, clock::time_point now);

    // Why the last look() said too_slow, for the log.
    const std::string& why() const { return why_; }

    // Measured: bytes per second the client reads (0: not measured yet), and
    // the bytes it may have outstanding now.
    double rate() const { return rate_; }
    std::size_t allowance() const;

private:
    struct write_record {
        std::uint64_t end;  // written_ after this write
        clock::time_point at;
    };

    void measure(std::uint64_t read_to, bool busy, clock::time_point now);

    settings settings_;
    std::uint64_t written_ = 0;        // bytes handed to the kernel, ever
    std::deque<write_record> unacked_writes_;
    std::size_t pending_bound_ = 0;    // unacknowledged + held unread by the client: at most this
    std::size_t peer_unread_ = 0;      // the client's received, unread bytes (estimated from its window)
    std::size_t peer_window_max_ = 0;  // the largest receive window the client advertised
    std::size_t peer_window_ = 0;      // the window it advertised last
    double read_to_ = 0;               // where the client's reading is taken to be (bytes)
    clock::time_point looked_at_{};
    std::size_t probe_allowance_;      // the allowance before the rate is known (slow start)
    double rate_ = 0;                  // bytes/s; 0: not measured
    double busy_bytes_ = 0;            // read while the client had something to read (decaying sum)
    double busy_seconds_ = 0;          // time the client had something to read (decaying sum)
    std::uint64_t measured_read_ = 0;  // where its reading had got to at the last look
    clock::time_point measured_at_{};
    bool was_busy_ = false;
    clock::time_point doubled_at_{};
    std::optional<clock::time_point> behind_since_;
    std::string why_;
};

}  // namespace tickerd

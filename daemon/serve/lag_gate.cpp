#include "serve/lag_gate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tickerd {

namespace {

// What a new client may have outstanding before anything is known of it:
// enough for a snapshot of a few dozen symbols. It doubles each time the
// client is found to have taken everything, up to the byte limit (as TCP's
// slow start does).
constexpr std::size_t initial_allowance = 2 * 1024;

// Slow start doubles the allowance at most this often: a client's buffer
// must have had time to fill (and its window to show it) before it grows.
constexpr auto min_doubling_span = std::chrono::milliseconds(200);

// The read rate is an average over about this long: acknowledgements from a
// client with a small receive buffer come in bursts seconds apart.
constexpr double rate_memory_seconds = 5.0;


double seconds(lag_gate::clock::duration d) { return std::chrono::duration<double>(d).count(); }

long long millis(lag_gate::clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

lag_gate::lag_gate(settings s) : settings_(s), probe_allowance_(std::min(s.byte_limit, initial_allowance)) {}

void lag_gate::set_byte_limit(std::size_t bytes) {
    settings_.byte_limit = bytes;
    probe_allowance_ = std::min(probe_allowance_ == 0 ? initial_allowance : probe_allowance_, bytes);  // 0: not set up yet
}

std::size_t lag_gate::allowance() const {
    if (!(rate_ > 0)) return probe_allowance_;
    const double by_time = rate_ * seconds(settings_.max_lag);
    if (by_time >= static_cast<double>(probe_allowance_)) return probe_allowance_;
    return std::max<std::size_t>(1, static_cast<std::size_t>(by_time));
}

void lag_gate::wrote(std::size_t bytes, clock::time_point now) {
    if (bytes == 0) return;
    written_ += bytes;
    pending_bound_ += bytes;
    unacked_writes_.push_back({written_, now});
}

lag_gate::verdict lag_gate::look(const send_queue_state& kernel, clock::time_point now) {
    const std::uint64_t acked = written_ - std::min<std::uint64_t>(written_, kernel.unacked);
    while (!unacked_writes_.empty() && unacked_writes_.front().end <= acked) unacked_writes_.pop_front();

    // What the client holds received but unread. Its window says so when it
    // is announced, but a receiver announces what its reading frees only when
    // its window can at least double (Linux): between announcements the client
    // is taken to read at its measured rate, never holding more than its
    // largest window, nor less than its window shows.
    if (kernel.window_known) {
        peer_window_ = kernel.peer_window;
        peer_window_max_ = std::max(peer_window_max_, kernel.peer_window);
    }
    // A slight shrink may never be taken back: only a window down to half or less counts.
    const std::size_t announced_unread = peer_window_ * 2 <= peer_window_max_ ? peer_window_max_ - peer_window_ : 0;
    // Where the client's reading has got to by what it announced; its rate is measured from that.
    const std::uint64_t announced_read = acked - std::min<std::uint64_t>(acked, announced_unread);
    measure(announced_read, kernel.unacked + announced_unread > 0, now);
    const double most = static_cast<double>(announced_read);
    const double least = static_cast<double>(acked - std::min<std::uint64_t>(acked, peer_window_max_));
    if (rate_ > 0 && looked_at_ != clock::time_point{}) {
        read_to_ = std::clamp(read_to_ + rate_ * seconds(now - looked_at_), least, most);
    } else {
        read_to_ = most;
    }
    if (kernel.unacked == 0 && peer_window_ == peer_window_max_) read_to_ = static_cast<double>(acked);  // all read
    looked_at_ = now;
    peer_unread_ = static_cast<std::size_t>(static_cast<double>(acked) - read_to_);
    const std::size_t pending = kernel.unacked + peer_unread_;
    pending_bound_ = pending;
    if (pending == 0 && now - doubled_at_ >= min_doubling_span) {
        // It took everything: it may be faster than measured. Probe upwards.
        doubled_at_ = now;
        probe_allowance_ = std::min(settings_.byte_limit, std::max<std::size_t>(probe_allowance_, 1) * 2);
        if (rate_ > 0) rate_ *= 1.25;
    }

    // A byte written long ago and still not acknowledged: the client takes nothing.
    if (kernel.unacked > 0 && !unacked_writes_.empty() && now - unacked_writes_.front().at >= settings_.slow_timeout) {
        why_ = fmt::format("{} bytes unacknowledged for {} ms", kernel.unacked, millis(now - unacked_writes_.front().at));
        return verdict::too_slow;
    }
    // Further behind than max_lag (at its measured rate) for slow_timeout: it
    // cannot keep up even with conflated messages.
    const bool behind = pending > 0 && rate_ > 0 && static_cast<double>(pending) / rate_ > seconds(settings_.max_lag);
    if (!behind) {
        behind_since_.reset();
    } else if (!behind_since_) {
        behind_since_ = now;
    } else if (now - *behind_since_ >= settings_.slow_timeout) {
        why_ = fmt::format("{} bytes behind at {:.0f} bytes/s for {} ms", pending, rate_, millis(now - *behind_since_));
        return verdict::too_slow;
    }
    if (pending == 0 || pending < allowance()) return verdict::write;
    return verdict::hold;
}

// The client's rate: how fast its reading advanced over the time it had
// something to read (otherwise a span measures us, not the client), both
// sums decaying with a memory of rate_memory_seconds. Its reading shows in
// its window as well as in acknowledgements, so the rate is measured even
// while little is sent to it.
void lag_gate::measure(std::uint64_t read_to, bool busy, clock::time_point now) {
    if (measured_at_ != clock::time_point{} && was_busy_) {
        const double dt = seconds(now - measured_at_);
        const double keep = std::exp(-dt / rate_memory_seconds);
        busy_bytes_ = busy_bytes_ * keep + static_cast<double>(read_to > measured_read_ ? read_to - measured_read_ : 0);
        busy_seconds_ = busy_seconds_ * keep + dt;
        // Half a second of evidence at least before the rate counts.
        if (busy_seconds_ >= 0.5) rate_ = std::max(busy_bytes_ / busy_seconds_, 1.0);
    }
    measured_read_ = std::max(measured_read_, read_to);
    measured_at_ = now;
    was_busy_ = busy;
}

}  // namespace tickerd

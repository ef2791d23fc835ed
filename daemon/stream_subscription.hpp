#pragma once
// What one stream client (WebSocket or SSE) is subscribed to, and which seq it
// has seen per symbol, so that a change racing with a snapshot is sent once.
// Used only on the session's strand.
#include <chrono>
#include <cstdint>
#include <vector>

#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class stream_subscription {
public:
    // `initial` empty: every symbol.
    stream_subscription(std::size_t symbols, const std::vector<std::size_t>& initial)
        : subscribed_(symbols, initial.empty()), sent_seq_(symbols, 0) {
        for (const std::size_t i : initial) subscribed_[i] = true;
    }

    std::vector<std::size_t> indexes() const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < subscribed_.size(); ++i) {
            if (subscribed_[i]) out.push_back(i);
        }
        return out;
    }

    // The client was sent a snapshot of `indexes` taken at `seq`.
    void snapshot_sent(const std::vector<std::size_t>& indexes, std::uint64_t seq) {
        for (const std::size_t i : indexes) sent_seq_[i] = std::max(sent_seq_[i], seq);
        last_seq_ = std::max(last_seq_, seq);
    }

    // True when the change is for this client and newer than what it has; records it.
    bool accept(const quote_change& change) {
        if (change.index >= subscribed_.size() || !subscribed_[change.index]) return false;
        if (change.seq <= sent_seq_[change.index]) return false;
        sent_seq_[change.index] = change.seq;
        last_seq_ = std::max(last_seq_, change.seq);
        return true;
    }

    // Returns the indexes that were not subscribed before.
    std::vector<std::size_t> add(const std::vector<std::size_t>& indexes) {
        std::vector<std::size_t> added;
        for (const std::size_t i : indexes) {
            if (!subscribed_[i]) {
                subscribed_[i] = true;
                added.push_back(i);
            }
        }
        return added;
    }

    void remove(const std::vector<std::size_t>& indexes) {
        for (const std::size_t i : indexes) subscribed_[i] = false;
    }

    // The highest seq this client has been sent (snapshot or update).
    std::uint64_t last_seq() const { return last_seq_; }

private:
    std::vector<bool> subscribed_;
    std::vector<std::uint64_t> sent_seq_;
    std::uint64_t last_seq_ = 0;
};

// Time left before a heartbeat is due on a link last written at `last_send`
// (zero: due now), so a quiet link gets one `interval` after its last message.
inline std::chrono::steady_clock::duration heartbeat_wait(std::chrono::steady_clock::time_point last_send,
                                                          std::chrono::steady_clock::duration interval,
                                                          std::chrono::steady_clock::time_point now) {
    const auto quiet = now - last_send;
    return quiet >= interval ? std::chrono::steady_clock::duration::zero() : interval - quiet;
}

}  // namespace tickerd

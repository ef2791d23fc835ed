#pragma once
// What one stream client (WebSocket or SSE) is subscribed to, and which seq it
// has seen per symbol, so that a change racing with a snapshot is sent once.
// Used only on the session's shard thread.
#include <chrono>
#include <cstdint>
#include <vector>

#include "tickerd/snapshot_store.hpp"

namespace tickerd {

// What a reload changed for one client (slots).
struct layout_delta {
    std::vector<std::size_t> removed;  // were subscribed, no longer configured
    std::vector<std::size_t> added;    // newly configured, subscribed because the client follows all
};

class stream_subscription {
public:
    // `initial` empty: every symbol, and the client follows all (see relayout).
    stream_subscription(std::size_t symbols, const std::vector<std::size_t>& initial)
        : stream_subscription(std::vector<bool>(symbols, true), initial) {}
    // `active`: per slot, whether it is configured now (symbol_layout::active).
    stream_subscription(std::vector<bool> active, const std::vector<std::size_t>& initial)
        : active_(std::move(active)),
          subscribed_(active_.size(), false),
          sent_seq_(active_.size(), 0),
          follows_all_(initial.empty()) {
        if (follows_all_) subscribed_ = active_;
        for (const std::size_t i : initial) {
            if (i < subscribed_.size()) subscribed_[i] = true;
        }
    }

    // The configured symbols changed (a reload); `active` is the new per-slot
    // state. Slots keep their meaning, new ones are appended. Subscribed slots
    // that are gone are dropped and returned; a client that connected without a
    // symbol list follows all symbols and is subscribed to the new ones.
    layout_delta relayout(const std::vector<bool>& active) {
        layout_delta d;
        if (active.size() > active_.size()) {
            active_.resize(active.size(), false);
            subscribed_.resize(active.size(), false);
            sent_seq_.resize(active.size(), 0);
        }
        for (std::size_t i = 0; i < active_.size(); ++i) {
            const bool now = i < active.size() && active[i];
            if (active_[i] && !now && subscribed_[i]) {
                subscribed_[i] = false;
                d.removed.push_back(i);
            } else if (!active_[i] && now && follows_all_ && !subscribed_[i]) {
                subscribed_[i] = true;
                d.added.push_back(i);
            }
            active_[i] = now;
        }
        return d;
    }

    // Whether `index` is a slot this subscription knows (a later layout may add more).
    bool knows(std::size_t index) const { return index < active_.size(); }

    std::vector<std::size_t> indexes() const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < subscribed_.size(); ++i) {
            if (subscribed_[i]) out.push_back(i);
        }
        return out;
    }

    // The client was sent a snapshot of `indexes` taken at `seq`.
    void snapshot_sent(const std::vector<std::size_t>& indexes, std::uint64_t seq) {
        for (const std::size_t i : indexes) {
            if (i < sent_seq_.size()) sent_seq_[i] = std::max(sent_seq_[i], seq);
        }
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
            if (i < subscribed_.size() && !subscribed_[i]) {
                subscribed_[i] = true;
                added.push_back(i);
            }
        }
        return added;
    }

    void remove(const std::vector<std::size_t>& indexes) {
        for (const std::size_t i : indexes) {
            if (i < subscribed_.size()) subscribed_[i] = false;
        }
    }

    // The highest seq this client has been sent (snapshot or update).
    std::uint64_t last_seq() const { return last_seq_; }

    // Records a message (e.g. "removed") sent at `seq`.
    void sent(std::uint64_t seq) { last_seq_ = std::max(last_seq_, seq); }

private:
    std::vector<bool> active_;
    std::vector<bool> subscribed_;
    std::vector<std::uint64_t> sent_seq_;
    bool follows_all_ = false;
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

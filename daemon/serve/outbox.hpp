#pragma once
// One stream client's outbound queue (WebSocket and SSE share it). Pure: no
// sockets, no clocks of its own (the caller passes `now`), so it is unit-tested.
//
// - Messages (snapshot, error, heartbeat...) are kept in order.
// - Quote changes are CONFLATED per symbol: a newer quote replaces an unsent
//   older one, so a slow client gets the latest prices, never a backlog.
// - Pending changes go out as one update message: the change's own shared
//   update buffer when only one symbol changed, else an update built from the
//   shared, serialised-once quote texts (no quote is re-encoded).
// - With max_hz, update messages are at least 1/max_hz apart.
// - A budget (bytes and messages queued) bounds memory; push_* says when it is exceeded.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tickerd/snapshot_store.hpp"

namespace tickerd {

struct outbox_limits {
    std::size_t max_bytes = 1 << 20;   // queued, not counting the message being written
    std::size_t max_messages = 1024;   // queued non-update messages
};

// One message to write: `head`, then the concatenation of `pieces` (shared,
// never copied). A session reuses one outgoing for all its writes, so that
// neither the head nor the list of pieces is allocated per message.
struct outgoing {
    std::string_view event;  // "snapshot", "update", "heartbeat", "error", or "" (raw bytes, e.g. SSE head)
    std::uint64_t id = 0;    // the message's seq (SSE "id:")
    std::string head;        // the message's own first bytes (an update's seq and ts), or empty
    std::vector<shared_text> pieces;

    std::size_t size() const;
    std::string text() const;  // joined; for tests and logs
    void clear();              // empty, keeping the capacity
};

class outbox {
public:
    using clock = std::chrono::steady_clock;

    explicit outbox(outbox_limits limits) : limits_(limits) {}

    // 0: no cap. Takes effect from the next update.
    void set_max_hz(unsigned hz);
    unsigned max_hz() const { return max_hz_; }

    // False when the budget is exceeded (the message is not queued): close the client.
    bool push_message(std::string_view event, std::uint64_t id, shared_text text);
    // Conflated per symbol. False when the budget is exceeded.
    bool push_change(const quote_change& change);
    // Forgets unsent changes of these symbols (unsubscribed).
    void drop(const std::vector<std::size_t>& indexes);
    void clear();

    // The next message to write, if any is due at `now`, into `out` (false:
    // none): messages first, then one update with every pending change
    // (unless max_hz says wait).
    bool next(clock::time_point now, outgoing& out);
    std::optional<outgoing> next(clock::time_point now);  // the same, in a new outgoing
    // When only updates held back by max_hz are pending: when they are due.
    std::optional<clock::time_point> due() const;

    bool empty() const { return messages_.empty() && pending_count_ == 0; }
    std::size_t queued_bytes() const { return message_bytes_ + pending_bytes_; }
    std::size_t pending_changes() const { return pending_count_; }
    // Changes replaced by a newer one for the same symbol since the last call (for metrics).
    std::uint64_t take_coalesced() { return std::exchange(coalesced_, 0); }

private:
    bool over_budget() const;
    void clear_pending();
    clock::duration gap() const;

    outbox_limits limits_;
    unsigned max_hz_ = 0;
    std::deque<outgoing> messages_;
    std::size_t message_bytes_ = 0;
    // By symbol slot (a null quote: none), so an update lists them in config order.
    // Grown to the highest slot seen and then reused: queuing a change allocates nothing.
    std::vector<quote_change> pending_;
    std::size_t pending_count_ = 0;
    std::size_t pending_bytes_ = 0;
    std::optional<clock::time_point> last_update_;
    std::uint64_t coalesced_ = 0;
};

}  // namespace tickerd

#pragma once
// One stream client's session, written once for both transports: WebSocket
// (ws_session.cpp) and Server-Sent Events (sse_session.cpp) derive from it.
//
// The core owns what the client is sent: its subscription, its outbox
// (conflation, max_hz, budget), the snapshot on connect (with ?since) and on
// subscribe, the layout sync after a reload, heartbeats, the choice of the next
// message to write, and the slow-client gate on the kernel's send queue. A
// transport owns only its socket: framing and writing a message, reading, and
// closing (WebSocket close codes, pings; SSE `data:` lines).
//
// Threads: a session runs on one shard (serve/io_shards: an io_context run by
// one thread), the one its socket was accepted onto, and never leaves it; it
// needs no strand. The hub calls deliver(), flush(), go_away() and
// layout_changed() on that thread too (one hand-off per shard per burst).
// No Beast here.
//
// The slow-client policy (lag_gate) is the same for both transports: a client
// is written to only while it would take the newest message within
// limits.max_lag at the rate it is measured to read; the outbox conflates
// meanwhile; a client further behind than that for slow_client_timeout is closed.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "serve/connection_limiter.hpp"
#include "serve/hub.hpp"
#include "serve/lag_gate.hpp"
#include "serve/outbox.hpp"
#include "serve/server_state.hpp"
#include "serve/stream_request.hpp"
#include "serve/stream_subscription.hpp"

namespace tickerd {

class stream_session : public stream_client, public std::enable_shared_from_this<stream_session> {
public:
    using clock = std::chrono::steady_clock;

    ~stream_session() override;

    void deliver(const quote_change& change) final;
    void flush() final { pump(); }
    void go_away() final;
    void layout_changed() final;
    // The shard's periodic look: the transport's checks (on_sweep), then a heartbeat if one is due.
    void sweep(clock::time_point now) final;
    stream_transport transport() const final { return transport_; }

    // How often a shard sweeps its sessions: often enough for heartbeats (an
    // eighth of heartbeat_interval late at most) and for the transports'
    // checks (a quarter of the shorter of slow_client_timeout and
    // ping_interval), and not more often than every 20 ms.
    static clock::duration sweep_period(const config& cfg);

protected:
    // `executor`: the connection's, its shard's; the session runs on it.
    stream_session(const boost::asio::any_io_executor& executor, stream_transport transport, const stream_request& what,
                   connection_slot slot, server_state& state);

    // ---- What a transport does ----

    // Frames and writes `msg` (current() until it is written); the completion calls written().
    virtual void write_message(const outgoing& msg) = 0;
    // A write (message or control) failed, or the socket is gone.
    virtual void write_failed(const boost::system::error_code& ec) = 0;
    // Closes a client that reads too little; `why` is for the log (already counted in the metrics).
    virtual void close_too_slow(const std::string& why) = 0;
    // The server shuts down (go_away()).
    virtual void shut_down() = 0;
    // pump() asks first, with no write in flight: a write of the transport's own
    // (a ping) may start now; true if one did (see control_started()).
    virtual bool write_control(clock::time_point) { return false; }
    // The transport's part of sweep(): stuck writes, pings, silent peers.
    virtual void on_sweep(clock::time_point) {}
    // A write of the transport's own is due (pump() lets it through the slow-client gate).
    virtual bool control_pending() const { return false; }
    // A write (message or control) has ended well.
    virtual void after_write() { pump(); }

    // ---- What the core does for the transport ----

    // The connection is up: joins the hub (and so its shard's sweeps), then sends the snapshot (with ?since).
    void open_stream();
    // Bytes that go before every message (the SSE response head); outside the budget.
    void send_raw(shared_text bytes);
    // Queues a message; a client over its budget is closed as too slow.
    void send(std::string_view event, std::uint64_t seq, shared_text text);
    // A message from the client: subscribe (answered with a snapshot), unsubscribe, or an error.
    void handle_client_message(const std::string& text);
    // Counts a slow-client disconnect and closes the client (close_too_slow).
    void too_slow(const std::string& why);
    // Starts the next write if none is in flight and something is due.
    void pump();
    // Starts writing the next queued message if it is due (a draining close). False: none.
    bool write_queued(clock::time_point now);
    // The completion of write_message(): `bytes` are counted as sent; `wire_bytes`
    // (with the transport's framing) went to the socket.
    void written(const boost::system::error_code& ec, std::size_t bytes, std::size_t wire_bytes);
    // A control write (a ping) has started / has ended (`wire_bytes` on the socket).
    void control_started(clock::time_point now);
    void control_written(const boost::system::error_code& ec, std::size_t wire_bytes);
    // Bytes the transport's library wrote by itself (a pong): counted by the gate.
    void wrote_by_itself(std::size_t wire_bytes);
    // Closing: stops heartbeats and wake-ups; unless `keep_queue`, drops what is
    // queued (counted as dropped updates). False when already closing.
    bool start_closing(bool keep_queue);
    // The connection is gone: the queue is dropped, the connection slot and the hub membership given back.
    void closed();
    // The slow-client gate on socket `fd` (see held_back()).
    void gate_backlog(int fd);

    bool closing() const { return closing_; }
    bool writing() const { return writing_; }
    clock::time_point write_started() const { return write_started_; }
    const outgoing& current() const { return current_; }
    server_state& state() const { return state_; }

    // shared_from_this() as the transport's own type, for its completion handlers.
    template <class Session>
    std::shared_ptr<Session> shared(Session* session) {
        return std::shared_ptr<Session>(shared_from_this(), session);
    }

private:
    void too_slow();
    void sync_layout(bool announce);
    void send_snapshot(const std::vector<std::size_t>& indexes, std::uint64_t since);
    bool held_back(clock::time_point now);
    void wake_at(clock::time_point at);

    server_state& state_;
    const stream_transport transport_;
    connection_slot slot_;
    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer wake_;  // wake_at(): max_hz's next slot, or the next look at a backlog
    stream_subscription subscription_;
    std::uint64_t layout_version_ = 0;  // of the symbol_layout subscription_ is mapped to
    outbox outbox_;
    outgoing current_;  // the message being written (keeps its buffers alive)
    std::uint64_t since_ = 0;
    clock::time_point last_send_ = clock::now();
    clock::time_point write_started_{};
    // The slow-client gate: off while gate_fd_ < 0.
    int gate_fd_ = -1;
    lag_gate gate_;
    std::uint64_t wake_gen_ = 0;
    bool wake_armed_ = false;
    bool writing_ = false;
    bool closing_ = false;
};

}  // namespace tickerd

#include "serve/stream_session.hpp"


#include "serve/http_api.hpp"
#include "serve/send_queue_probe.hpp"
#include "serve/stream_layout.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;

namespace {

using clock = std::chrono::steady_clock;

shared_text text_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// While held back: how often the kernel's queue is looked at again.
constexpr clock::duration backlog_poll = std::chrono::milliseconds(100);

// At most a quarter of the socket's send buffer is ever ahead of the client;
// the rest stays free for a close frame (see held_back()). 0: unknown.
std::size_t byte_limit(int fd) { return send_buffer_size(fd) / 4; }

}  // namespace

stream_session::stream_session(const net::any_io_executor& executor, stream_transport transport, const stream_request& what,
                               connection_slot slot, server_state& state)
    : state_(state),
      transport_(transport),
      slot_(std::move(slot)),
      executor_(executor),
      wake_(executor),
      subscription_(state.store.layout()->active, what.symbols),
      outbox_({state.cfg.limits.max_queued_bytes, state.cfg.server.max_queued_messages}),
      since_(what.since),
      gate_({state.cfg.limits.max_lag, state.cfg.limits.slow_client_timeout, 0}) {
    outbox_.set_max_hz(what.max_hz);
}

stream_session::~stream_session() { state_.clients.leave(*this); }

void stream_session::go_away() { shut_down(); }

void stream_session::layout_changed() {
    if (!closing_) sync_layout(true);
}

void stream_session::open_stream() {
    state_.clients.join(*this, executor_);
    // Joined first, then the snapshot: a change that races with it arrives
    // afterwards and is dropped by seq if the snapshot already holds it.
    sync_layout(false);  // a reload since this session was made: the snapshot shows the new symbols
    send_snapshot(subscription_.indexes(), since_);
}

void stream_session::send_raw(shared_text bytes) {
    outbox_.push_message("", 0, std::move(bytes));
    pump();  // in flight at once: it does not count against max_queued_messages
}

void stream_session::send_snapshot(const std::vector<std::size_t>& indexes, std::uint64_t since) {
    if (indexes.empty()) {
        // A subscribe that adds nothing is still answered, with no quotes.
        const auto seq = state_.store.seq();
        return send("snapshot", seq, text_of(encode_stream_snapshot(seq, since, {})));
    }
    const auto view = state_.store.snapshot(indexes, since);
    subscription_.snapshot_sent(indexes, view.seq);
    send("snapshot", view.seq, text_of(encode_stream_snapshot(view.seq, since, view.quotes)));
}

// Remaps the subscription to the store's current symbols (after a reload).
// `announce`: tell the client: "removed" for subscribed symbols that are
// gone, and the quotes the store already holds for symbols it now follows.
void stream_session::sync_layout(bool announce) {
    for (auto& m : sync_stream_layout(state_.store, subscription_, layout_version_, announce)) {
        send(m.event, m.seq, std::move(m.text));
    }
}

void stream_session::deliver(const quote_change& change) {
    if (closing_) return;
    if (change.layout > layout_version_ || !subscription_.knows(change.index)) sync_layout(true);
    if (!subscription_.accept(change)) return;
    const bool ok = outbox_.push_change(change);
    if (const auto n = outbox_.take_coalesced()) state_.stats.updates_coalesced(n);
    if (!ok) too_slow();
}

void stream_session::send(std::string_view event, std::uint64_t seq, shared_text text) {
    if (closing_) return;
    if (!outbox_.push_message(event, seq, std::move(text))) return too_slow();
    pump();
}

void stream_session::handle_client_message(const std::string& text) {
    auto msg = parse_client_message(text);
    if (!msg) return send("error", 0, text_of(encode_stream_error("bad_request", msg.error())));
    sync_layout(true);  // slots from select_symbols are in the store's current layout
    auto sel = select_symbols(state_.store, msg->symbols);
    if (!sel.unknown.empty()) {
        return send("error", 0, text_of(encode_stream_error("unknown_symbol", "unknown symbol " + sel.unknown)));
    }
    if (msg->op == client_message::kind::unsubscribe) {
        subscription_.remove(sel.indexes);
        return outbox_.drop(sel.indexes);
    }
    if (msg->max_hz) outbox_.set_max_hz(*msg->max_hz);
    // Answered with a snapshot of the newly added symbols (possibly none).
    send_snapshot(subscription_.add(sel.indexes), 0);
}

void stream_session::too_slow(const std::string& why) {
    state_.stats.slow_client_disconnect(transport_);
    close_too_slow(why);
}

void stream_session::too_slow() { too_slow(std::to_string(outbox_.queued_bytes()) + " bytes queued"); }

void stream_session::pump() {
    if (writing_ || closing_) return;
    if (outbox_.empty() && !control_pending()) return;
    const auto now = clock::now();
    // Pings pass the same gate as messages: a client that reads nothing gets nothing more.
    if (held_back(now)) return;
    if (write_control(now)) return;
    if (write_queued(now)) return;
    if (const auto due = outbox_.due()) wake_at(*due);
}

bool stream_session::write_queued(clock::time_point now) {
    if (!outbox_.next(now, current_)) return false;
    writing_ = true;
    write_started_ = now;
    write_message(current_);
    return true;
}

void stream_session::written(const boost::system::error_code& ec, std::size_t bytes, std::size_t wire_bytes) {
    writing_ = false;
    if (ec) return write_failed(ec);
    state_.stats.sent(transport_, bytes, current_.event.empty() ? 0 : 1);
    last_send_ = clock::now();
    gate_.wrote(wire_bytes, last_send_);
    current_.clear();
    after_write();
}

// A control write goes through the same single write path (and the same stuck-write check).
void stream_session::control_started(clock::time_point now) {
    writing_ = true;
    write_started_ = now;
}

void stream_session::control_written(const boost::system::error_code& ec, std::size_t wire_bytes) {
    writing_ = false;
    if (ec) return write_failed(ec);
    gate_.wrote(wire_bytes, clock::now());
    after_write();
}

void stream_session::wrote_by_itself(std::size_t wire_bytes) { gate_.wrote(wire_bytes, clock::now()); }

void stream_session::gate_backlog(int fd) {
    gate_fd_ = fd;
    gate_.set_byte_limit(byte_limit(fd));
}

// The slow-client gate (lag_gate): nothing more goes to the kernel while the
// client would not take it within max_lag (the outbox conflates meanwhile);
// a client that stays behind for slow_client_timeout is closed as too slow.
// The transport's close message (a WebSocket close frame) still fits the send
// buffer, behind the data already there, so the client reads it whenever it
// reads again. The kernel is asked only once the gate's cheap bound is reached.
bool stream_session::held_back(clock::time_point now) {
    if (gate_fd_ < 0 || !gate_.must_look()) return false;
    gate_.set_byte_limit(byte_limit(gate_fd_));  // the kernel's autotuning may have grown the buffer
    switch (gate_.look(probe_send_queue(gate_fd_), now)) {
        case lag_gate::verdict::write: return false;
        case lag_gate::verdict::too_slow: too_slow(gate_.why()); return true;
        case lag_gate::verdict::hold: break;
    }
    wake_at(now + backlog_poll);
    return true;
}

// pump() again at `at` (or earlier, if already due earlier).
void stream_session::wake_at(clock::time_point at) {
    if (wake_armed_ && wake_.expiry() <= at) return;
    wake_armed_ = true;
    wake_.expires_at(at);  // a wait already armed ends with operation_aborted and is ignored
    wake_.async_wait([self = shared_from_this(), gen = ++wake_gen_](const boost::system::error_code& ec) {
        if (gen != self->wake_gen_) return;
        self->wake_armed_ = false;
        if (!ec) self->pump();
    });
}

stream_session::clock::duration stream_session::sweep_period(const config& cfg) {
    const clock::duration checks = std::min(cfg.limits.slow_client_timeout, cfg.server.ping_interval) / 4;
    const clock::duration beats = cfg.server.heartbeat_interval / 8;
    return std::max<clock::duration>(std::min(checks, beats), std::chrono::milliseconds(20));
}

void stream_session::sweep(clock::time_point now) {
    on_sweep(now);
    if (closing_) return;
    const auto interval = state_.cfg.server.heartbeat_interval;
    if (heartbeat_wait(last_send_, interval, now).count() == 0 && outbox_.empty() && !writing_) {
        const auto seq = subscription_.last_seq();
        send("heartbeat", seq, text_of(encode_heartbeat(seq)));
        last_send_ = now;  // the next one is due an interval after this one
    }
}

bool stream_session::start_closing(bool keep_queue) {
    if (closing_) return false;
    closing_ = true;
    wake_.cancel();
    if (!keep_queue) {
        state_.stats.updates_dropped(outbox_.pending_changes());
        outbox_.clear();
    }
    return true;
}

void stream_session::closed() {
    closing_ = true;
    wake_.cancel();
    outbox_.clear();
    slot_.release();
    state_.clients.leave(*this);
}

}  // namespace tickerd

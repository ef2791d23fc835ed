#include "serve/hub.hpp"

#include <mutex>
#include <stdexcept>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>

#include "serve/op_memory.hpp"

namespace tickerd {

namespace net = boost::asio;

namespace {

const net::execution_context* context_of(const net::any_io_executor& ex) {
    return &net::query(ex, net::execution::context);
}

}  // namespace

struct hub::shard {
    explicit shard(net::any_io_executor e) : ex(std::move(e)), context(context_of(ex)) {}

    const net::any_io_executor ex;
    const net::execution_context* const context;

    // broadcast()'s hand-off (any thread, under mu) and the burst being drained
    // (shard thread); both keep their capacity.
    std::mutex mu;
    std::vector<quote_change> inbox;
    bool drain_posted = false;
    std::vector<quote_change> draining;

    // Shard thread only. A client that leaves during a walk leaves a hole
    // (nullptr), closed up once the walk is over.
    std::vector<stream_client*> members;
    bool walking = false;
    bool holes = false;
    // The sweep timer is armed while the shard has members (sweep_wait).
    bool sweeping = false;
    net::steady_timer* sweep_timer = nullptr;  // while a sweep wait is pending
};


hub::hub() = default;
hub::~hub() = default;

void hub::set_shards(const std::vector<net::any_io_executor>& shards, std::chrono::steady_clock::duration sweep_period) {
    if (!shards_.empty()) throw std::logic_error("hub::set_shards called twice");
    sweep_period_ = sweep_period;
    for (const auto& ex : shards) shards_.push_back(std::make_unique<shard>(ex));
}

void hub::join(stream_client& client, const net::any_io_executor& executor) {
    if (client.hub_slot_ != stream_client::no_slot) return;
    const auto* ctx = context_of(executor);
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        auto& s = *shards_[i];
        if (s.context != ctx) continue;
        client.hub_shard_ = i;
        client.hub_slot_ = s.members.size();
        s.members.push_back(&client);
        counts_[static_cast<std::size_t>(client.transport())].fetch_add(1, std::memory_order_relaxed);
        if (!s.sweeping) arm_sweep(s);
        return;
    }
    throw std::logic_error("hub::join: the session does not run on a shard");
}

void hub::leave(stream_client& client) {
    const auto slot = client.hub_slot_;
    if (slot == stream_client::no_slot) return;
    auto& s = *shards_[client.hub_shard_];
    client.hub_slot_ = stream_client::no_slot;
    counts_[static_cast<std::size_t>(client.transport())].fetch_sub(1, std::memory_order_relaxed);
    if (s.walking) {
        s.members[slot] = nullptr;
        s.holes = true;
        return;
    }
    // Not walking: the last member takes its place.
    auto* last = s.members.back();
    s.members.pop_back();
    if (last != &client) {
        s.members[slot] = last;
        last->hub_slot_ = slot;
    }
    stop_sweep_if_empty(s);
}

// Calls visit(client) for every member of `s`, on its thread. A client may
// leave (closed()) while it is visited; one that joins meanwhile is visited too.
template <class Visit>
void hub::walk(shard& s, const Visit& visit) {
    s.walking = true;
    for (std::size_t i = 0; i < s.members.size(); ++i) {
        if (auto* c = s.members[i]) visit(*c);
    }
    s.walking = false;
    if (!s.holes) return;
    s.holes = false;
    std::size_t kept = 0;
    for (auto* c : s.members) {
        if (c == nullptr) continue;
        c->hub_slot_ = kept;
        s.members[kept++] = c;
    }
    s.members.resize(kept);
    stop_sweep_if_empty(s);
}

// The last member left: the pending sweep ends now rather than a period later,
// so that an io_context with nothing else to do can return from run().
void hub::stop_sweep_if_empty(shard& s) {
    if (s.members.empty() && s.sweep_timer != nullptr) s.sweep_timer->cancel();
}

void hub::broadcast(const quote_change& change) {
    for (const auto& sp : shards_) {
        auto& s = *sp;
        {
            const std::scoped_lock lk(s.mu);
            s.inbox.push_back(change);
            if (s.drain_posted) continue;  // the pending drain takes this one too
            s.drain_posted = true;
        }
        net::post(s.ex, bind_op_memory([this, &s] { drain(s); }));
    }
}

// Every change broadcast since the last drain, in order, to every client of
// the shard; then each client starts (at most) one write for all of them.
void hub::drain(shard& s) {
    {
        const std::scoped_lock lk(s.mu);
        s.draining.swap(s.inbox);
        s.drain_posted = false;
    }
    walk(s, [&s](stream_client& c) {
        for (const auto& change : s.draining) c.deliver(change);
        c.flush();
    });
    s.draining.clear();
}

// Every sweep_period while the shard has members: sweep() on each of them.
// The timer lives in its pending handler (shared), so that it goes with the
// io_context, not with the hub.
struct hub::sweep_wait {
    static void start(hub& h, shard& s, std::shared_ptr<net::steady_timer> timer) {
        timer->expires_after(h.sweep_period_);
        auto* t = timer.get();
        s.sweep_timer = t;
        t->async_wait([&h, &s, timer = std::move(timer)](const boost::system::error_code& ec) mutable {
            s.sweep_timer = nullptr;
            if (ec) {
                // Cancelled when the last member left; one may have joined since.
                s.sweeping = false;
                if (!s.members.empty()) h.arm_sweep(s);
                return;
            }
            const auto now = std::chrono::steady_clock::now();
            h.walk(s, [now](stream_client& c) { c.sweep(now); });
            if (s.members.empty()) {
                s.sweeping = false;  // the next join arms it again
                return;
            }
            start(h, s, std::move(timer));
        });
    }
};

void hub::arm_sweep(shard& s) {
    s.sweeping = true;
    sweep_wait::start(*this, s, std::make_shared<net::steady_timer>(s.ex));
}

void hub::close_all() {
    for (const auto& sp : shards_) {
        net::post(sp->ex, [this, &s = *sp] { walk(s, [](stream_client& c) { c.go_away(); }); });
    }
}

void hub::layout_changed() {
    for (const auto& sp : shards_) {
        net::post(sp->ex, [this, &s = *sp] { walk(s, [](stream_client& c) { c.layout_changed(); }); });
    }
}

std::size_t hub::size() const {
    std::size_t n = 0;
    for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
    return n;
}

std::array<std::size_t, stream_transport_count> hub::size_by_transport() const {
    std::array<std::size_t, stream_transport_count> n{};
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = counts_[i].load(std::memory_order_relaxed);
    return n;
}

}  // namespace tickerd

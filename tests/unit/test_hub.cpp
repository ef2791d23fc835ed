// The hub: the per-shard registry of stream clients and the fan-out to them.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "serve/hub.hpp"

using namespace tickerd;
namespace net = boost::asio;

namespace {

// Records what the hub asked of it; on_deliver runs inside deliver().
class recording_client : public stream_client {
public:
    explicit recording_client(stream_transport t) : transport_(t) {}
    void deliver(const quote_change& change) override {
        delivered.push_back(change.seq);
        if (on_deliver) on_deliver();
    }
    void flush() override { ++flushes; }
    void go_away() override { ++went_away; }
    stream_transport transport() const override { return transport_; }
    void layout_changed() override { ++layouts; }
    void sweep(std::chrono::steady_clock::time_point) override { ++sweeps; }

    std::vector<std::uint64_t> delivered;
    std::function<void()> on_deliver;
    int flushes = 0;
    int went_away = 0;
    int layouts = 0;
    int sweeps = 0;

private:
    stream_transport transport_;
};

quote_change change(std::uint64_t seq) {
    quote_change c;
    c.seq = seq;
    return c;
}

using counts = std::array<std::size_t, stream_transport_count>;
using seqs = std::vector<std::uint64_t>;

// A hub over two shards, each an io_context run here by poll().
struct two_shards {
    two_shards() { h.set_shards({a.get_executor(), b.get_executor()}, std::chrono::hours(1)); }
    void run() {
        a.restart();
        b.restart();
        a.poll();
        b.poll();
    }
    net::io_context a{1};
    net::io_context b{1};
    hub h;
};

}  // namespace

TEST_CASE("members are counted in all and by transport as they join and leave", "[hub]") {
    two_shards s;
    CHECK(s.h.size() == 0);
    CHECK(s.h.size_by_transport() == counts{0, 0});
    recording_client ws1(stream_transport::websocket), ws2(stream_transport::websocket), sse(stream_transport::sse);
    s.h.join(ws1, s.a.get_executor());
    s.h.join(ws2, s.b.get_executor());
    s.h.join(sse, s.a.get_executor());
    s.h.join(ws1, s.a.get_executor());  // joining twice registers once
    CHECK(s.h.size() == 3);
    CHECK(s.h.size_by_transport() == counts{2, 1});
    s.h.leave(ws2);
    CHECK(s.h.size_by_transport() == counts{1, 1});
    s.h.leave(ws2);  // leaving twice is harmless
    s.h.leave(sse);
    s.h.leave(ws1);
    CHECK(s.h.size() == 0);
}

TEST_CASE("a session on no shard cannot join", "[hub]") {
    two_shards s;
    net::io_context other{1};
    recording_client c(stream_transport::websocket);
    CHECK_THROWS_AS(s.h.join(c, other.get_executor()), std::logic_error);
    CHECK(s.h.size() == 0);
}

TEST_CASE("a burst reaches every member of every shard in order, with one flush per burst, and no one who left",
          "[hub]") {
    two_shards s;
    recording_client a1(stream_transport::websocket), a2(stream_transport::sse), b1(stream_transport::websocket),
        gone(stream_transport::websocket);
    s.h.join(a1, s.a.get_executor());
    s.h.join(a2, s.a.get_executor());
    s.h.join(b1, s.b.get_executor());
    s.h.join(gone, s.b.get_executor());
    s.h.broadcast(change(7));
    s.h.broadcast(change(8));
    s.h.broadcast(change(9));
    CHECK(a1.delivered.empty());  // handed to the shards, delivered on their threads
    s.run();
    for (auto* c : {&a1, &a2, &b1, &gone}) {
        CHECK(c->delivered == seqs{7, 8, 9});
        CHECK(c->flushes == 1);
    }
    s.h.leave(gone);
    s.h.broadcast(change(10));
    s.run();
    CHECK(b1.delivered == seqs{7, 8, 9, 10});
    CHECK(b1.flushes == 2);
    CHECK(gone.delivered == seqs{7, 8, 9});
    CHECK(gone.flushes == 1);
}

TEST_CASE("members that leave while the shard is walked are skipped, and the others all reached", "[hub]") {
    two_shards s;
    std::vector<std::unique_ptr<recording_client>> cs;
    for (int i = 0; i < 6; ++i) {
        cs.push_back(std::make_unique<recording_client>(stream_transport::websocket));
        s.h.join(*cs.back(), s.a.get_executor());
    }
    // The first member, when delivered to, closes itself and the fourth (as a
    // too-slow close does), and a new member joins.
    recording_client late(stream_transport::sse);
    cs[0]->on_deliver = [&] {
        s.h.leave(*cs[0]);
        s.h.leave(*cs[3]);
        s.h.join(late, s.a.get_executor());
        cs[0]->on_deliver = nullptr;
    };
    s.h.broadcast(change(1));
    s.run();
    CHECK(cs[0]->delivered == seqs{1});
    CHECK(cs[3]->delivered.empty());
    for (const int i : {1, 2, 4, 5}) CHECK(cs[static_cast<std::size_t>(i)]->delivered == seqs{1});
    CHECK(s.h.size() == 5);
    // After the walk the list is whole again: the next change reaches exactly the members.
    s.h.broadcast(change(2));
    s.run();
    CHECK(cs[0]->delivered == seqs{1});
    CHECK(cs[3]->delivered.empty());
    for (const int i : {1, 2, 4, 5}) CHECK(cs[static_cast<std::size_t>(i)]->delivered == seqs{1, 2});
    CHECK(late.delivered.back() == 2);
    s.h.leave(late);
    s.h.leave(*cs[5]);
    s.h.leave(*cs[1]);
    CHECK(s.h.size() == 2);
    s.h.broadcast(change(3));
    s.run();
    CHECK(cs[2]->delivered == seqs{1, 2, 3});
    CHECK(cs[4]->delivered == seqs{1, 2, 3});
    CHECK(cs[5]->delivered == seqs{1, 2});
}

TEST_CASE("close_all and layout_changed tell every member on its shard", "[hub]") {
    two_shards s;
    recording_client a(stream_transport::websocket), b(stream_transport::sse);
    s.h.join(a, s.a.get_executor());
    s.h.join(b, s.b.get_executor());
    s.h.layout_changed();
    CHECK(a.layouts == 0);
    s.run();
    CHECK(a.layouts == 1);
    CHECK(b.layouts == 1);
    CHECK(a.went_away == 0);
    s.h.close_all();
    s.run();
    CHECK(a.went_away == 1);
    CHECK(b.went_away == 1);
    CHECK(a.delivered.empty());
}

TEST_CASE("changes broadcast from another thread reach a running shard in order", "[hub]") {
    net::io_context ctx{1};
    auto guard = net::make_work_guard(ctx);
    hub h;
    h.set_shards({ctx.get_executor()}, std::chrono::hours(1));
    recording_client c(stream_transport::websocket);
    h.join(c, ctx.get_executor());
    constexpr std::uint64_t n = 5000;
    c.on_deliver = [&] {
        if (c.delivered.size() != n) return;
        guard.reset();
        h.leave(c);  // the last member: the shard's sweep timer stops too, so run() returns
    };
    std::thread producer([&] {
        for (std::uint64_t i = 1; i <= n; ++i) h.broadcast(change(i));
    });
    ctx.run();
    producer.join();
    REQUIRE(c.delivered.size() == n);
    bool in_order = true;
    for (std::uint64_t i = 0; i < n; ++i) in_order = in_order && c.delivered[i] == i + 1;
    CHECK(in_order);
    CHECK(c.flushes >= 1);
    CHECK(c.flushes <= static_cast<int>(n));
}

TEST_CASE("a shard sweeps its members while it has any, and again after one joins an empty shard", "[hub]") {
    net::io_context ctx{1};
    hub h;
    h.set_shards({ctx.get_executor()}, std::chrono::milliseconds(20));
    recording_client a(stream_transport::websocket), b(stream_transport::sse);
    CHECK(ctx.poll() == 0);  // no members: nothing armed
    ctx.restart();
    h.join(a, ctx.get_executor());
    h.join(b, ctx.get_executor());
    // One handler at a time (each a sweep), whatever the machine's speed.
    const auto run_until = [&ctx](const std::function<bool()>& done) {
        for (int i = 0; i < 1000 && !done(); ++i) {
            ctx.restart();
            ctx.run_one();
        }
        return done();
    };
    REQUIRE(run_until([&] { return a.sweeps >= 3; }));
    CHECK(b.sweeps == a.sweeps);
    h.leave(a);
    const int a_left_at = a.sweeps;
    REQUIRE(run_until([&] { return b.sweeps >= a_left_at + 2; }));
    CHECK(a.sweeps == a_left_at);  // no sweep for one who left
    h.leave(b);
    ctx.restart();
    ctx.run();  // the last one gone: the timer is not armed again, so run() returns
    const int b_left_at = b.sweeps;
    h.join(a, ctx.get_executor());  // armed again by the next join
    REQUIRE(run_until([&] { return a.sweeps > a_left_at; }));
    CHECK(b.sweeps == b_left_at);
    h.leave(a);
}

TEST_CASE("the last member leaving cancels the pending sweep at once", "[hub]") {
    net::io_context ctx{1};
    hub h;
    // An hour: were the wait not cancelled, run() below would not return (the test times out).
    h.set_shards({ctx.get_executor()}, std::chrono::hours(1));
    recording_client a(stream_transport::websocket), b(stream_transport::sse);
    h.join(a, ctx.get_executor());
    h.join(b, ctx.get_executor());
    h.leave(a);
    h.leave(b);
    CHECK(ctx.run() == 1);  // the cancelled wait's handler, and nothing else
    CHECK(a.sweeps == 0);
    CHECK(b.sweeps == 0);
}

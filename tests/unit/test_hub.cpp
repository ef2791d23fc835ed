// The hub: the registry of stream clients and the fan-out to them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "serve/hub.hpp"

using namespace tickerd;

namespace {

// Records what the hub asked of it.
class recording_client : public stream_client {
public:
    explicit recording_client(stream_transport t) : transport_(t) {}
    void deliver(const quote_change& change) override { delivered.push_back(change.seq); }
    void go_away() override { ++went_away; }
    stream_transport transport() const override { return transport_; }
    void layout_changed() override { ++layouts; }

    std::vector<std::uint64_t> delivered;
    int went_away = 0;
    int layouts = 0;

private:
    stream_transport transport_;
};

std::shared_ptr<recording_client> client(stream_transport t) { return std::make_shared<recording_client>(t); }

quote_change change(std::uint64_t seq) {
    quote_change c;
    c.seq = seq;
    return c;
}

using counts = std::array<std::size_t, stream_transport_count>;

}  // namespace

TEST_CASE("members are counted in all and by transport as they join and leave", "[hub]") {
    hub h;
    CHECK(h.size() == 0);
    CHECK(h.size_by_transport() == counts{0, 0});
    auto ws1 = client(stream_transport::websocket);
    auto ws2 = client(stream_transport::websocket);
    auto sse = client(stream_transport::sse);
    h.join(ws1);
    h.join(ws2);
    h.join(sse);
    h.join(ws1);  // joining twice registers once
    CHECK(h.size() == 3);
    CHECK(h.size_by_transport()[static_cast<std::size_t>(stream_transport::websocket)] == 2);
    CHECK(h.size_by_transport()[static_cast<std::size_t>(stream_transport::sse)] == 1);
    h.leave(ws2.get());
    CHECK(h.size() == 2);
    CHECK(h.size_by_transport() == counts{1, 1});
    h.leave(ws2.get());  // leaving twice is harmless
    h.leave(sse.get());
    h.leave(ws1.get());
    CHECK(h.size() == 0);
    CHECK(h.size_by_transport() == counts{0, 0});
}

TEST_CASE("a broadcast reaches every member once, and no one who left", "[hub]") {
    hub h;
    auto a = client(stream_transport::websocket);
    auto b = client(stream_transport::sse);
    auto gone = client(stream_transport::websocket);
    h.join(a);
    h.join(b);
    h.join(gone);
    h.broadcast(change(7));
    h.leave(gone.get());
    h.broadcast(change(8));
    CHECK(a->delivered == std::vector<std::uint64_t>{7, 8});
    CHECK(b->delivered == std::vector<std::uint64_t>{7, 8});
    CHECK(gone->delivered == std::vector<std::uint64_t>{7});
}

TEST_CASE("close_all and layout_changed tell every member", "[hub]") {
    hub h;
    auto a = client(stream_transport::websocket);
    auto b = client(stream_transport::sse);
    h.join(a);
    h.join(b);
    h.layout_changed();
    CHECK(a->layouts == 1);
    CHECK(b->layouts == 1);
    CHECK(a->went_away == 0);
    h.close_all();
    CHECK(a->went_away == 1);
    CHECK(b->went_away == 1);
    CHECK(a->delivered.empty());
}

TEST_CASE("a member already destroyed is not called", "[hub]") {
    hub h;
    auto kept = client(stream_transport::websocket);
    auto dropped = client(stream_transport::websocket);
    h.join(kept);
    h.join(dropped);
    std::weak_ptr<recording_client> watch = dropped;
    dropped.reset();  // the session ended without leaving (yet): the hub holds no strong reference
    REQUIRE(watch.expired());
    h.broadcast(change(3));  // must not touch the destroyed client
    h.close_all();
    CHECK(kept->delivered == std::vector<std::uint64_t>{3});
    CHECK(kept->went_away == 1);
}

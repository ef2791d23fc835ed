#include <catch2/catch.hpp>

#include "serve/outbox.hpp"
#include "tickerd/protocol.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

using clock_t_ = outbox::clock;

// A change of symbol `index` at `seq` whose quote JSON is `json`, published at ts_base + seq µs.
constexpr std::int64_t ts_base = 1'796'000'000'000'000;

quote_change change(std::size_t index, std::uint64_t seq, std::string json) {
    auto pq = std::make_shared<published_quote>();
    pq->q.seq = seq;
    pq->json = std::make_shared<const std::string>(std::move(json));
    quote_change c;
    c.index = index;
    c.seq = seq;
    c.quote = pq;
    c.published_us = ts_base + static_cast<std::int64_t>(seq);
    c.update_message = std::make_shared<const std::string>(encode_update(seq, c.published_us, {pq}));
    return c;
}

shared_text text(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

const clock_t_::time_point t0{};

}  // namespace

TEST_CASE("a lone change goes out as its own shared update message", "[outbox]") {
    outbox box({});
    const auto c = change(0, 7, R"({"symbol":"A","seq":7})");
    REQUIRE(box.push_change(c));
    auto m = box.next(t0);
    REQUIRE(m);
    CHECK(m->event == "update");
    CHECK(m->id == 7);
    REQUIRE(m->pieces.size() == 1);
    CHECK(m->pieces[0] == c.update_message);  // the same buffer, not a copy
    CHECK_FALSE(box.next(t0));
    CHECK(box.empty());
}

TEST_CASE("a newer quote replaces an unsent older one of the same symbol", "[outbox]") {
    outbox box({});
    REQUIRE(box.push_change(change(1, 10, R"({"symbol":"B","seq":10})")));
    REQUIRE(box.push_change(change(0, 11, R"({"symbol":"A","seq":11})")));
    REQUIRE(box.push_change(change(1, 12, R"({"symbol":"B","seq":12})")));
    // An older change arriving late never replaces a newer one.
    REQUIRE(box.push_change(change(1, 9, R"({"symbol":"B","seq":9})")));
    CHECK(box.pending_changes() == 2);
    auto m = box.next(t0);
    REQUIRE(m);
    CHECK(m->id == 12);
    // Built from the shared quote texts, in config order, the same bytes encode_update gives;
    // ts is the publish time of the oldest change it carries (A's: B's seq 10 was replaced).
    CHECK(m->text() == R"({"type":"update","seq":12,"ts":1796000000000011,"quotes":[{"symbol":"A","seq":11},{"symbol":"B","seq":12}]})");
    CHECK(box.empty());
    CHECK(box.queued_bytes() == 0);
}

TEST_CASE("one outgoing reused for every write carries nothing over from the message before", "[outbox]") {
    outbox box({});
    outgoing out;
    REQUIRE(box.push_change(change(0, 1, R"({"a":1})")));
    REQUIRE(box.push_change(change(1, 2, R"({"b":2})")));
    REQUIRE(box.next(t0, out));
    CHECK(out.text() == R"({"type":"update","seq":2,"ts":1796000000000001,"quotes":[{"a":1},{"b":2}]})");
    CHECK(out.size() == out.text().size());
    // A lone change next: its own shared message, with no head left from the batch.
    const auto lone = change(1, 3, R"({"b":3})");
    REQUIRE(box.push_change(lone));
    REQUIRE(box.next(t0, out));
    CHECK(out.head.empty());
    REQUIRE(out.pieces.size() == 1);
    CHECK(out.pieces[0] == lone.update_message);
    CHECK(out.id == 3);
    // A queued message replaces all of it.
    REQUIRE(box.push_message("error", 0, text("E")));
    REQUIRE(box.next(t0, out));
    CHECK(out.text() == "E");
    CHECK(out.event == "error");
    CHECK(out.id == 0);
    // And a batch again, into the same outgoing.
    REQUIRE(box.push_change(change(0, 4, R"({"a":4})")));
    REQUIRE(box.push_change(change(1, 5, R"({"b":5})")));
    REQUIRE(box.next(t0, out));
    CHECK(out.text() == R"({"type":"update","seq":5,"ts":1796000000000004,"quotes":[{"a":4},{"b":5}]})");
    CHECK_FALSE(box.next(t0, out));
}

TEST_CASE("messages keep their order and go before pending updates", "[outbox]") {
    outbox box({});
    REQUIRE(box.push_change(change(0, 5, R"({"q":5})")));
    REQUIRE(box.push_message("snapshot", 4, text("S")));
    REQUIRE(box.push_message("error", 0, text("E")));
    CHECK(box.next(t0)->text() == "S");
    auto e = box.next(t0);
    CHECK(e->text() == "E");
    CHECK(e->event == "error");
    CHECK(box.next(t0)->event == "update");
}

TEST_CASE("unsubscribed symbols lose their unsent changes", "[outbox]") {
    outbox box({});
    REQUIRE(box.push_change(change(0, 5, R"({"q":5})")));
    REQUIRE(box.push_change(change(1, 6, R"({"q":6})")));
    box.drop({0});
    auto m = box.next(t0);
    REQUIRE(m);
    CHECK(m->id == 6);
    CHECK(m->text().find(R"({"q":5})") == std::string::npos);
}

TEST_CASE("max_hz spaces update messages and batches what changed meanwhile", "[outbox]") {
    outbox box({});
    box.set_max_hz(2);  // one update per 500 ms
    REQUIRE(box.push_change(change(0, 1, R"({"a":1})")));
    REQUIRE(box.next(t0));  // the first update goes at once
    REQUIRE(box.push_change(change(0, 2, R"({"a":2})")));
    REQUIRE(box.push_change(change(1, 3, R"({"b":3})")));
    REQUIRE(box.push_change(change(0, 4, R"({"a":4})")));
    CHECK_FALSE(box.next(t0 + 100ms));
    REQUIRE(box.due());
    CHECK(*box.due() == t0 + 500ms);
    // A message is not held back by max_hz.
    REQUIRE(box.push_message("heartbeat", 4, text("H")));
    CHECK(box.next(t0 + 200ms)->text() == "H");
    CHECK_FALSE(box.next(t0 + 499ms));
    auto m = box.next(t0 + 500ms);
    REQUIRE(m);
    CHECK(m->text() == R"({"type":"update","seq":4,"ts":1796000000000003,"quotes":[{"a":4},{"b":3}]})");
    CHECK_FALSE(box.due());
    // Without a cap, updates go whenever asked.
    box.set_max_hz(0);
    REQUIRE(box.push_change(change(0, 5, R"({"a":5})")));
    CHECK(box.next(t0 + 501ms));
}

TEST_CASE("the byte and message budget refuses what does not fit", "[outbox]") {
    outbox box({4096, 3});
    CHECK(box.push_message("snapshot", 1, text(std::string(3000, 'x'))));
    CHECK_FALSE(box.push_message("snapshot", 2, text(std::string(2000, 'x'))));  // 5000 > 4096
    CHECK(box.push_message("error", 0, text("e")));
    CHECK(box.push_message("error", 0, text("e")));
    CHECK_FALSE(box.push_message("error", 0, text("e")));  // a 4th message
    box.clear();
    CHECK(box.queued_bytes() == 0);
    // Conflated changes count by their quote size, once per symbol, however often they change.
    for (std::uint64_t seq = 1; seq <= 1000; ++seq) REQUIRE(box.push_change(change(0, seq, std::string(1000, 'q'))));
    CHECK(box.queued_bytes() == 1000);
    REQUIRE(box.push_change(change(1, 2000, std::string(1000, 'q'))));
    REQUIRE(box.push_change(change(2, 2001, std::string(1000, 'q'))));
    REQUIRE(box.push_change(change(3, 2002, std::string(1000, 'q'))));
    CHECK_FALSE(box.push_change(change(4, 2003, std::string(1000, 'q'))));  // 5000 bytes pending
}

TEST_CASE("max_hz: a change every 10 ms for a second at 10 Hz gives exactly 10 updates, each the latest", "[outbox]") {
    outbox box({});
    box.set_max_hz(10);
    std::vector<std::pair<clock_t_::duration, std::uint64_t>> sent;
    std::uint64_t coalesced = 0;
    for (int i = 0; i < 100; ++i) {
        const auto at = clock_t_::duration(std::chrono::milliseconds(10 * i));
        const auto seq = static_cast<std::uint64_t>(i + 1);
        REQUIRE(box.push_change(change(0, seq, R"({"a":)" + std::to_string(seq) + "}")));
        coalesced += box.take_coalesced();
        if (auto m = box.next(t0 + at)) sent.emplace_back(at, m->id);
    }
    REQUIRE(sent.size() == 10);
    for (std::size_t k = 0; k < sent.size(); ++k) {
        INFO("update " << k);
        CHECK(sent[k].first == std::chrono::milliseconds(100 * k));  // one every 100 ms, from the first change
        CHECK(sent[k].second == 10 * k + 1);                         // the change made at that moment
    }
    // 11 of the 100 changes found nothing pending (the first, and the one after each send);
    // the other 89 replaced a pending one. The last is still pending.
    CHECK(coalesced == 89);
    CHECK(box.pending_changes() == 1);
    CHECK(*box.due() == t0 + 1000ms);
}

TEST_CASE("max_hz: the gap runs from the last update sent, and a change after a quiet spell goes at once",
          "[outbox]") {
    outbox box({});
    box.set_max_hz(2);
    CHECK_FALSE(box.due());  // nothing pending
    REQUIRE(box.push_change(change(0, 1, R"({"a":1})")));
    CHECK_FALSE(box.due());  // never sent: due now, not held back
    REQUIRE(box.next(t0 + 50ms));
    REQUIRE(box.push_change(change(0, 2, R"({"a":2})")));
    CHECK(*box.due() == t0 + 550ms);
    CHECK_FALSE(box.next(t0 + 549ms));
    auto m = box.next(t0 + 700ms);  // asked late: sent then, and the next gap runs from then
    REQUIRE(m);
    CHECK(m->id == 2);
    REQUIRE(box.push_change(change(0, 3, R"({"a":3})")));
    CHECK(*box.due() == t0 + 1200ms);
    CHECK(box.next(t0 + 1200ms));
    // Quiet for a while: the next change is not delayed.
    REQUIRE(box.push_change(change(0, 4, R"({"a":4})")));
    CHECK(box.next(t0 + 5s));
}

TEST_CASE("max_hz: a new cap applies at once to the update held back", "[outbox]") {
    outbox box({});
    box.set_max_hz(1);
    REQUIRE(box.push_change(change(0, 1, R"({"a":1})")));
    REQUIRE(box.next(t0));
    REQUIRE(box.push_change(change(0, 2, R"({"a":2})")));
    CHECK(*box.due() == t0 + 1s);
    box.set_max_hz(4);
    CHECK(*box.due() == t0 + 250ms);
    CHECK_FALSE(box.next(t0 + 249ms));
    CHECK(box.next(t0 + 250ms));
    // A cap that does not divide a second: the gap is exact in the clock's ticks.
    box.set_max_hz(3);
    REQUIRE(box.push_change(change(0, 3, R"({"a":3})")));
    const auto third = std::chrono::duration_cast<clock_t_::duration>(std::chrono::seconds(1)) / 3;
    CHECK(*box.due() == t0 + 250ms + third);
}

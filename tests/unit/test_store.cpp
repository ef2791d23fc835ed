#include <catch2/catch.hpp>

#include <thread>

#include <fmt/format.h>

#include "tickerd/normaliser.hpp"
#include "tickerd/protocol.hpp"
#include "tickerd/snapshot_store.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {

std::vector<symbol_config> two_symbols() {
    symbol_config a;
    a.id = "NVDA";
    a.name = "NVIDIA";
    a.currency = "USD";
    a.max_age = milliseconds(1000);
    symbol_config b = a;
    b.id = "BTC";
    b.cls = asset_class::crypto;
    b.max_age = milliseconds(5000);
    return {a, b};
}

quote make(const char* id, const char* price, time_point now) {
    raw_quote r;
    r.price = *decimal::parse(price);
    r.reference = decimal::from_int(100);
    symbol_config s;
    s.id = id;
    s.currency = "USD";
    return *normalise(r, s, "yahoo", reference_kind::previous_close, std::nullopt, now);
}

const time_point t0{milliseconds(1'000'000)};

// As a feed hands a quote over: to its symbol's slot (one past the last slot for an unknown id).
std::optional<quote_change> put(snapshot_store& store, quote q, time_point now) {
    const auto slot = store.index_of(q.symbol).value_or(store.layout()->slots.size());
    return store.apply(slot, std::move(q), now);
}

}  // namespace

TEST_CASE("every change gets the next seq, quotes keep the seq they changed at", "[store]") {
    snapshot_store store(two_symbols(), 500);
    CHECK(store.seq() == 500);
    auto c1 = put(store, make("NVDA", "101", t0), t0);
    REQUIRE(c1);
    CHECK(c1->seq == 501);
    CHECK(c1->index == 0);
    auto c2 = put(store, make("BTC", "99", t0), t0);
    REQUIRE(c2);
    CHECK(c2->seq == 502);
    CHECK(store.get(0)->q.seq == 501);
    // ts: when the store published it, in µs since the epoch.
    const std::int64_t before = unix_now_us();
    auto c3 = put(store, make("BTC", "98", t0), t0);
    const std::int64_t after = unix_now_us();
    REQUIRE(c3);
    CHECK(c3->published_us >= before);
    CHECK(c3->published_us <= after);
    CHECK(*c3->update_message ==
          fmt::format(R"({{"type":"update","seq":503,"ts":{},"quotes":[)", c3->published_us) + *c3->quote->json + "]}");
    CHECK(c2->quote->json->find(R"("seq":502)") != std::string::npos);
}

TEST_CASE("an identical re-poll changes nothing and notifies nobody", "[store]") {
    snapshot_store store(two_symbols(), 0);
    int notified = 0;
    store.on_change([&](const quote_change&) { ++notified; });
    REQUIRE(put(store, make("NVDA", "101", t0), t0));
    CHECK_FALSE(put(store, make("NVDA", "101", t0 + milliseconds(500)), t0 + milliseconds(500)));
    CHECK(notified == 1);
    CHECK(store.seq() == 1);
    REQUIRE(put(store, make("NVDA", "101.01", t0), t0));
    CHECK(notified == 2);
    CHECK(put(store, make("UNKNOWN", "1", t0), t0) == std::nullopt);
}

TEST_CASE("a quote not confirmed within max_age turns stale, and that is a change", "[store]") {
    snapshot_store store(two_symbols(), 0);
    std::vector<std::uint64_t> seen;
    store.on_change([&](const quote_change& c) { seen.push_back(c.seq); });
    put(store, make("NVDA", "101", t0), t0);
    put(store, make("BTC", "99", t0), t0);
    // A re-poll at t0+800 confirms NVDA without a change.
    put(store, make("NVDA", "101", t0), t0 + milliseconds(800));
    CHECK(store.expire(t0 + milliseconds(1700)).empty());
    auto changes = store.expire(t0 + milliseconds(1900));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].index == 0);
    CHECK(changes[0].quote->q.stale);
    CHECK(changes[0].quote->json->find(R"("stale":true)") != std::string::npos);
    CHECK(store.expire(t0 + milliseconds(2000)).empty());  // stale once, not again
    // A fresh poll with the same price clears it: another change.
    auto back = put(store, make("NVDA", "101", t0), t0 + milliseconds(2100));
    REQUIRE(back);
    CHECK_FALSE(back->quote->q.stale);
    CHECK(seen == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE("snapshots filter by symbol and by since", "[store]") {
    snapshot_store store(two_symbols(), 10);
    put(store, make("NVDA", "101", t0), t0);  // 11
    put(store, make("BTC", "99", t0), t0);    // 12
    auto all = store.snapshot();
    CHECK(all.seq == 12);
    REQUIRE(all.quotes.size() == 2);
    CHECK(all.quotes[0]->q.symbol == "NVDA");
    auto only_btc = store.snapshot({1});
    REQUIRE(only_btc.quotes.size() == 1);
    CHECK(only_btc.quotes[0]->q.symbol == "BTC");
    auto since = store.snapshot({}, 11);
    REQUIRE(since.quotes.size() == 1);
    CHECK(since.quotes[0]->q.symbol == "BTC");
    CHECK(store.snapshot({}, 12).quotes.empty());
}

TEST_CASE("notifications arrive in seq order under concurrent writers", "[store]") {
    snapshot_store store(two_symbols(), 0);
    std::vector<std::uint64_t> seen;
    std::mutex mu;
    store.on_change([&](const quote_change& c) {
        const std::scoped_lock lk(mu);
        seen.push_back(c.seq);
    });
    auto writer = [&](const char* id) {
        for (int i = 0; i < 500; ++i) {
            const std::string price = std::to_string(100 + i) + ".5";
            put(store, make(id, price.c_str(), t0), t0);
        }
    };
    std::thread a(writer, "NVDA");
    std::thread b(writer, "BTC");
    a.join();
    b.join();
    REQUIRE(seen.size() == 1000);
    for (std::size_t i = 1; i < seen.size(); ++i) REQUIRE(seen[i] == seen[i - 1] + 1);
}

TEST_CASE("reconfigure keeps the slots and quotes of kept symbols, drops removed ones and appends added ones",
          "[store][reload]") {
    snapshot_store store(two_symbols(), 100);
    put(store, make("NVDA", "101", t0), t0);  // 101
    put(store, make("BTC", "99", t0), t0);    // 102
    REQUIRE(store.layout()->version == 0);

    // BTC stays (first now, with a new max_age), NVDA goes, ETH comes.
    auto syms = two_symbols();
    symbol_config btc = syms[1];
    btc.max_age = milliseconds(9000);
    symbol_config eth = syms[1];
    eth.id = "ETH";
    const auto r = store.reconfigure({btc, eth});
    CHECK(r.added == std::vector<std::string>{"ETH"});
    CHECK(r.removed == std::vector<std::string>{"NVDA"});
    CHECK(r.removed_slots == std::vector<std::size_t>{0});
    const auto& lay = *r.layout;
    CHECK(lay.version == 1);
    CHECK(lay.seq == 103);
    CHECK(store.seq() == 103);  // a new seq: cached snapshots and ETags change
    CHECK(lay.slots.size() == 3);
    CHECK(lay.active == std::vector<bool>{false, true, true});
    CHECK(lay.order == std::vector<std::size_t>{1, 2});
    CHECK(lay.find(0) == nullptr);
    REQUIRE(lay.find(1) != nullptr);
    CHECK(lay.find(1)->max_age == milliseconds(9000));

    CHECK(store.index_of("NVDA") == std::nullopt);
    CHECK(store.index_of("BTC") == std::size_t{1});
    CHECK(store.index_of("ETH") == std::size_t{2});
    CHECK(store.symbol(0) == nullptr);
    CHECK(store.get(0) == nullptr);
    REQUIRE(store.get(1));
    CHECK(store.get(1)->q.seq == 102);  // BTC's quote is kept as it was

    // The snapshot lists configured symbols with data, in the new config order.
    auto all = store.snapshot();
    REQUIRE(all.quotes.size() == 1);
    CHECK(all.quotes[0]->q.symbol == "BTC");
    CHECK(store.status().size() == 2);
    CHECK(store.status()[0].id == "BTC");
    CHECK(store.status()[1].id == "ETH");

    // A quote for the removed symbol (a feed being stopped) is dropped; the new one publishes in its slot.
    CHECK_FALSE(put(store, make("NVDA", "102", t0), t0));
    auto c = put(store, make("ETH", "3000", t0), t0);
    REQUIRE(c);
    CHECK(c->index == 2);
    CHECK(c->layout == 1);
    CHECK(c->seq == 104);

    // A symbol removed and added again gets its old slot back, emptied when it was removed.
    const auto again = store.reconfigure(two_symbols());
    CHECK(again.added == std::vector<std::string>{"NVDA"});
    CHECK(again.removed == std::vector<std::string>{"ETH"});
    CHECK(store.index_of("NVDA") == std::size_t{0});
    CHECK(store.get(0) == nullptr);  // no quote of before its removal
    CHECK(again.layout->order == std::vector<std::size_t>{0, 1});
    CHECK(again.layout->version == 2);
    CHECK(again.layout->slots.size() == 3);

    // Reloads that remove and add the same symbols again and again use no more slots
    // (RSS grew by 1.3 MB over 600 such reloads when each add took a new slot).
    for (int i = 0; i < 100; ++i) {
        store.reconfigure({btc, eth});
        store.reconfigure(two_symbols());
    }
    CHECK(store.layout()->slots.size() == 3);
    CHECK(store.index_of("ETH") == std::nullopt);
    CHECK(store.index_of("NVDA") == std::size_t{0});
}

TEST_CASE("expire skips removed symbols and uses each symbol's current max_age", "[store][reload]") {
    snapshot_store store(two_symbols(), 0);
    put(store, make("NVDA", "101", t0), t0);
    put(store, make("BTC", "99", t0), t0);
    auto btc = two_symbols()[1];
    btc.max_age = milliseconds(500);
    store.reconfigure({btc});
    const auto changes = store.expire(t0 + milliseconds(800));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].index == 1);
    CHECK(changes[0].quote->q.symbol == "BTC");
}

TEST_CASE("restore puts saved quotes back stale at the start seq, unnotified, and a fresh one replaces them", "[store][state]") {
    snapshot_store store(two_symbols(), 5000);
    int notified = 0;
    store.on_change([&](const quote_change&) { ++notified; });
    quote saved = make("NVDA", "101.5", t0);
    saved.seq = 1234;
    quote gone = make("AAPL", "1", t0);  // no longer configured
    CHECK(store.restore({saved, gone}) == 1);
    CHECK(notified == 0);
    CHECK(store.seq() == 5000);
    const auto cur = store.get(0);
    REQUIRE(cur);
    CHECK(cur->q.stale);
    CHECK(cur->q.seq == 5000);
    CHECK(cur->q.price == *decimal::parse("101.5"));
    CHECK(cur->json->find("\"stale\":true") != std::string::npos);
    CHECK(store.snapshot().quotes.size() == 1);
    CHECK(store.snapshot({}, 4999).quotes.size() == 1);  // a client resuming from the earlier run gets it
    CHECK(store.restore({saved}) == 0);                    // a symbol that holds a quote is left alone
    // The same price from a live poll is a change: it is fresh now.
    const auto ch = put(store, make("NVDA", "101.5", t0 + milliseconds(10)), t0 + milliseconds(10));
    REQUIRE(ch);
    CHECK(ch->seq == 5001);
    CHECK_FALSE(store.get(0)->q.stale);
    CHECK(notified == 1);
}

// The cluster's bucket entries (key, value) and the edge's numbering of quotes
// by bucket revision (snapshot_store::apply_numbered).
#include <catch2/catch.hpp>

#include "tickerd/cluster_entry.hpp"
#include "tickerd/normaliser.hpp"
#include "tickerd/snapshot_store.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {

symbol_config nvda() {
    symbol_config a;
    a.id = "NVDA";
    a.name = "NVIDIA";
    a.currency = "USD";
    a.max_age = milliseconds(1000);
    return a;
}

quote make(const char* price, time_point now) {
    raw_quote r;
    r.price = *decimal::parse(price);
    r.reference = decimal::from_int(100);
    return *normalise(r, nvda(), "yahoo", reference_kind::previous_close, std::nullopt, now);
}

const time_point t0{milliseconds(1'000'000)};

}  // namespace

TEST_CASE("cluster keys keep letters, digits, - and _, and escape every other byte", "[cluster]") {
    CHECK(cluster_key("NVDA") == "NVDA");
    CHECK(cluster_key("BTC-USD") == "BTC-USD");
    CHECK(cluster_key("USD/VND") == "USD=2FVND");
    CHECK(cluster_key("^GSPC") == "=5EGSPC");
    CHECK(cluster_key("a.b") == "a=2Eb");
    CHECK(cluster_key("a=2E") == "a=3D2E");  // '=' itself is escaped: two ids never share a key
    CHECK(cluster_key("Ä") == "=C3=84");
}

TEST_CASE("a cluster entry reads back as written, exactly", "[cluster]") {
    cluster_entry e;
    e.symbol = "USD/VND";
    e.changed = 42;
    e.q = make("101.2345", t0);
    e.q.symbol = "USD/VND";
    e.q.stale = true;
    const auto back = decode_cluster_entry(encode_cluster_entry(e));
    REQUIRE(back);
    CHECK(back->symbol == "USD/VND");
    CHECK(back->changed == 42);
    CHECK(same_content(back->q, e.q));
    CHECK(back->q.price.to_string() == "101.2345");
    CHECK(back->q.received_at == e.q.received_at);

    CHECK_FALSE(decode_cluster_entry("not json"));
    CHECK_FALSE(decode_cluster_entry(R"({"v":2,"symbol":"X","changed":0,"quote":{}})"));
    CHECK_FALSE(decode_cluster_entry(R"({"v":1,"symbol":"X","changed":0,"quote":{"price":"1"}})"));
}

TEST_CASE("a cluster edge numbers quotes by the content's revision, never backwards", "[cluster][store]") {
    snapshot_store store({nvda()}, 1);
    // Content first written at revision 3, seen in an entry of revision 5 (a re-write): seq 3000.
    auto c = store.apply_numbered(0, make("101", t0), t0, 3000, 5000);
    REQUIRE(c);
    CHECK(c->seq == 3000);
    CHECK(store.seq() == 3000);
    // The same content again (a later re-write): only freshness, no change.
    CHECK_FALSE(store.apply_numbered(0, make("101", t0), t0 + milliseconds(500), 3000, 7000));
    CHECK(store.seq() == 3000);
    // Marked stale here (no entry within max_age): the number after the store's.
    const auto stale = store.expire(t0 + milliseconds(2000));
    REQUIRE(stale.size() == 1);
    CHECK(stale[0].seq == 3001);
    // The publisher's re-write of that content arrives late: its content seq (3000) is not above the
    // stale copy's, so the entry's own revision numbers it.
    c = store.apply_numbered(0, make("101", t0), t0 + milliseconds(2100), 3000, 8000);
    REQUIRE(c);
    CHECK(c->seq == 8000);
    CHECK_FALSE(c->quote->q.stale);
    // A new price at revision 9.
    c = store.apply_numbered(0, make("102", t0), t0 + milliseconds(2200), 9000, 9000);
    REQUIRE(c);
    CHECK(c->seq == 9000);
    CHECK(store.snapshot({}, 8000).quotes.size() == 1);
    CHECK(store.snapshot({}, 9000).quotes.empty());
}

TEST_CASE("a standalone store still numbers its own changes one by one", "[store]") {
    snapshot_store store({nvda()}, 500);
    CHECK(store.apply(0, make("101", t0), t0)->seq == 501);
    CHECK(store.apply(0, make("102", t0), t0)->seq == 502);
}

#include <catch2/catch.hpp>

#include "daemon/stream_subscription.hpp"

using namespace tickerd;

namespace {
quote_change change(std::size_t index, std::uint64_t seq) {
    quote_change c;
    c.index = index;
    c.seq = seq;
    return c;
}
}  // namespace

TEST_CASE("an empty initial list subscribes to everything", "[subscription]") {
    stream_subscription s(3, {});
    CHECK(s.indexes() == std::vector<std::size_t>{0, 1, 2});
    stream_subscription only(3, {2, 0});
    CHECK(only.indexes() == std::vector<std::size_t>{0, 2});
    CHECK_FALSE(only.accept(change(1, 5)));
    CHECK(only.accept(change(2, 5)));
}

TEST_CASE("a change already covered by the snapshot is not sent again", "[subscription]") {
    stream_subscription s(2, {});
    s.snapshot_sent({0, 1}, 10);
    CHECK_FALSE(s.accept(change(0, 9)));
    CHECK_FALSE(s.accept(change(0, 10)));
    CHECK(s.accept(change(0, 11)));
    CHECK_FALSE(s.accept(change(0, 11)));  // delivered twice: sent once
    CHECK(s.last_seq() == 11);
    // A later snapshot of symbol 1 only does not hide older updates of symbol 0.
    s.snapshot_sent({1}, 20);
    CHECK(s.accept(change(0, 15)));
    CHECK_FALSE(s.accept(change(1, 18)));
    CHECK(s.last_seq() == 20);
}

TEST_CASE("add reports only new symbols, remove stops updates", "[subscription]") {
    stream_subscription s(3, {0});
    CHECK(s.add({0, 2}) == std::vector<std::size_t>{2});
    s.remove({0});
    CHECK(s.indexes() == std::vector<std::size_t>{2});
    CHECK_FALSE(s.accept(change(0, 1)));
    CHECK(s.accept(change(2, 1)));
}

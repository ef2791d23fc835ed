#include <catch2/catch.hpp>

#include "serve/stream_subscription.hpp"

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

TEST_CASE("relayout drops removed symbols and reports the subscribed ones", "[subscription][reload]") {
    stream_subscription only(std::vector<bool>{true, true, true}, {0, 2});
    only.snapshot_sent({0, 2}, 10);
    const auto d = only.relayout({true, true, false});
    CHECK(d.removed == std::vector<std::size_t>{2});
    CHECK(d.added.empty());
    CHECK(only.indexes() == std::vector<std::size_t>{0});
    CHECK_FALSE(only.accept(change(2, 11)));
    CHECK(only.accept(change(0, 11)));
    // Removing a symbol the client did not subscribe to reports nothing; a second relayout reports nothing again.
    CHECK(only.relayout({true, false, false}).removed.empty());
    CHECK(only.relayout({true, false, false}).removed.empty());
}

TEST_CASE("a client that follows all symbols is subscribed to added ones, a client with a list is not",
          "[subscription][reload]") {
    stream_subscription all(std::vector<bool>{true, false, true}, {});
    CHECK(all.indexes() == std::vector<std::size_t>{0, 2});  // slot 1 was removed before it connected
    CHECK_FALSE(all.knows(3));
    const auto d = all.relayout({true, false, false, true});
    CHECK(d.removed == std::vector<std::size_t>{2});
    CHECK(d.added == std::vector<std::size_t>{3});
    CHECK(all.knows(3));
    CHECK(all.indexes() == std::vector<std::size_t>{0, 3});
    CHECK(all.accept(change(3, 5)));

    stream_subscription list(std::vector<bool>{true, true}, {0});
    const auto l = list.relayout({true, true, true});
    CHECK(l.added.empty());
    CHECK(list.indexes() == std::vector<std::size_t>{0});
    CHECK_FALSE(list.accept(change(2, 5)));
    // It may subscribe to the new symbol by name.
    CHECK(list.add({2}) == std::vector<std::size_t>{2});
    CHECK(list.accept(change(2, 6)));
}

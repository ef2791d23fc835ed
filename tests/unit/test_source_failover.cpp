#include <catch2/catch.hpp>

#include "tickerd/source_failover.hpp"

using namespace tickerd;

namespace {
std::vector<symbol_config> one_symbol(std::size_t sources, unsigned fail_after = 2, unsigned recover_after = 2) {
    symbol_config s;
    s.id = "BTC";
    s.sources.resize(sources, source_ref{"coinbase", "BTC-USD"});
    s.failover_after = fail_after;
    s.failback_after = recover_after;
    return {s};
}
}  // namespace

TEST_CASE("the preferred source publishes, a backup is held back while it is healthy", "[failover]") {
    source_failover f(one_symbol(2));
    CHECK(f.on_success(0, 0).publish);
    CHECK_FALSE(f.on_success(0, 1).publish);
    CHECK(f.active(0) == 0);
}

TEST_CASE("after fail_after failures the next healthy source takes over, and back", "[failover]") {
    source_failover f(one_symbol(3));
    f.on_success(0, 0);
    f.on_success(0, 2);  // only the third source is healthy besides the first
    CHECK_FALSE(f.on_failure(0, 0));
    const auto sw = f.on_failure(0, 0);
    REQUIRE(sw);
    CHECK(sw->from == 0);
    CHECK(sw->to == 2);
    CHECK(f.active(0) == 2);
    CHECK(f.on_success(0, 2).publish);
    // The preferred one needs recover_after consecutive successes.
    auto once = f.on_success(0, 0);
    CHECK_FALSE(once.publish);
    f.on_failure(0, 0);  // a failure resets its count
    CHECK_FALSE(f.on_success(0, 0).publish);
    auto back = f.on_success(0, 0);
    CHECK(back.publish);
    REQUIRE(back.change);
    CHECK(back.change->to == 0);
}

TEST_CASE("with no healthy backup the active source stays until one answers", "[failover]") {
    source_failover f(one_symbol(2));
    f.on_success(0, 0);
    f.on_failure(0, 1);
    f.on_failure(0, 0);
    CHECK_FALSE(f.on_failure(0, 0));  // nobody to hand over to
    CHECK(f.active(0) == 0);
    auto v = f.on_success(0, 1);  // the backup comes up while the active one is down
    CHECK(v.publish);
    REQUIRE(v.change);
    CHECK(v.change->to == 1);
}

TEST_CASE("a later backup does not jump ahead of a healthy earlier one", "[failover]") {
    source_failover f(one_symbol(3, 1));
    f.on_success(0, 1);
    f.on_failure(0, 0);  // hands over to source 1 at once (fail_after 1)
    CHECK(f.active(0) == 1);
    CHECK_FALSE(f.on_success(0, 2).publish);
    CHECK_FALSE(f.on_success(0, 7).publish);  // out of range: ignored
    CHECK_FALSE(f.on_failure(3, 0));
}

#pragma once
// Helpers shared by the parser tests (tests/unit/test_feeds_*.cpp): fixtures, exact
// decimals, one-place edits of a payload, and the checks every error must pass.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "tickerd/decimal.hpp"
#include "tickerd/feeds/registry.hpp"

namespace tickerd::feed_tests {

inline std::string fixture(const std::string& name) {
    const std::string path = std::string(TICKERD_FIXTURES_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    INFO("fixture " << path);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline decimal dec(const char* text) {
    const auto d = decimal::parse(text);
    REQUIRE(d.has_value());
    return *d;
}

inline std::string replace_once(std::string s, std::string_view from, std::string_view to) {
    const auto pos = s.find(from);
    INFO("replace " << from);
    REQUIRE(pos != std::string::npos);
    REQUIRE(s.find(from, pos + 1) == std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
}

inline feed_error expect_error(const feed_result<raw_quote>& r, std::size_t max = 200) {
    REQUIRE_FALSE(r.ok());
    const feed_error& e = r.error();
    INFO("message: " << e.message);
    CHECK(!e.message.empty());
    CHECK(e.message.size() <= max);
    CHECK(e.message.find('\n') == std::string::npos);
    CHECK(e.message.find('\r') == std::string::npos);
    return e;
}

}  // namespace tickerd::feed_tests

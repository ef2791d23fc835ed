#include <catch2/catch.hpp>

#include "serve/connection_limiter.hpp"
#include "tickerd/ip_network.hpp"

using namespace tickerd;

TEST_CASE("connections are limited per IP and in total, and released on close", "[limits]") {
    connection_limiter lim(4, 2);
    auto a1 = lim.admit("192.0.2.1");
    auto a2 = lim.admit("192.0.2.1");
    REQUIRE(a1);
    REQUIRE(a2);
    CHECK_FALSE(lim.admit("192.0.2.1"));  // third from the same address
    CHECK(lim.count("192.0.2.1") == 2);
    auto b1 = lim.admit("192.0.2.2");
    auto p = lim.admit("");  // a trusted proxy: counted in the total only
    REQUIRE(b1);
    REQUIRE(p);
    CHECK(lim.total() == 4);
    CHECK_FALSE(lim.admit("192.0.2.3"));  // the total is full
    a1.release();
    CHECK(lim.total() == 3);
    CHECK(lim.count("192.0.2.1") == 1);
    {
        auto moved = std::move(a2);
        CHECK_FALSE(a2);
        CHECK(lim.count("192.0.2.1") == 1);
    }  // released with its last owner
    CHECK(lim.count("192.0.2.1") == 0);
    CHECK(lim.total() == 2);
}

TEST_CASE("a proxied connection is moved to its client's address", "[limits]") {
    connection_limiter lim(0, 1);
    auto p1 = lim.admit("");
    auto p2 = lim.admit("");
    CHECK(lim.reassign(p1, "198.51.100.7"));
    CHECK(lim.count("198.51.100.7") == 1);
    CHECK_FALSE(lim.reassign(p2, "198.51.100.7"));  // that client already has its one connection
    CHECK(p2.ip().empty());
    CHECK(lim.reassign(p1, "198.51.100.8"));  // keep-alive carrying another client
    CHECK(lim.count("198.51.100.7") == 0);
    CHECK(lim.reassign(p2, "198.51.100.7"));
    p1 = connection_slot{};
    p2 = connection_slot{};
    CHECK(lim.total() == 0);
}

TEST_CASE("IP addresses and CIDR networks parse and match", "[ip]") {
    CHECK(parse_ip("192.0.2.1")->to_string() == "192.0.2.1");
    CHECK(parse_ip("::ffff:192.0.2.1")->to_string() == "192.0.2.1");
    CHECK(parse_ip("2001:db8::1")->to_string() == "2001:db8::1");
    CHECK_FALSE(parse_ip("192.0.2.256"));
    CHECK_FALSE(parse_ip("host.example"));
    CHECK_FALSE(parse_ip("[::1]"));
    CHECK_FALSE(parse_ip(""));
    const auto ten = parse_network("10.0.0.0/8");
    REQUIRE(ten);
    CHECK(ten->contains(*parse_ip("10.255.1.2")));
    CHECK_FALSE(ten->contains(*parse_ip("11.0.0.1")));
    CHECK(ten->contains(*parse_ip("::ffff:10.1.1.1")));
    const auto one = parse_network("127.0.0.1");
    CHECK(one->contains(*parse_ip("127.0.0.1")));
    CHECK_FALSE(one->contains(*parse_ip("127.0.0.2")));
    CHECK(parse_network("2001:db8::/32")->contains(*parse_ip("2001:db8:ffff::1")));
    CHECK(parse_network("0.0.0.0/0")->contains(*parse_ip("203.0.113.9")));
    CHECK_FALSE(parse_network("10.0.0.0/33"));
    CHECK_FALSE(parse_network("10.0.0.0/"));
    CHECK_FALSE(parse_network("10.0.0.0/8x"));
}

TEST_CASE("X-Forwarded-For names the client only when the peer is a trusted proxy", "[ip]") {
    const std::vector<ip_network> trusted{*parse_network("10.0.0.0/8")};
    const auto proxy = *parse_ip("10.0.0.5");
    const auto outsider = *parse_ip("203.0.113.9");
    CHECK(client_address(outsider, "198.51.100.7", trusted) == outsider);
    CHECK(client_address(proxy, "198.51.100.7", trusted).to_string() == "198.51.100.7");
    // The rightmost untrusted entry: what the client wrote itself to the left is ignored.
    CHECK(client_address(proxy, "1.2.3.4, 198.51.100.7, 10.0.0.9", trusted).to_string() == "198.51.100.7");
    CHECK(client_address(proxy, "", trusted) == proxy);
    CHECK(client_address(proxy, "garbage, 198.51.100.7", trusted).to_string() == "198.51.100.7");
    CHECK(client_address(proxy, "198.51.100.7, garbage", trusted) == proxy);
    CHECK(client_address(proxy, "1.2.3.4", {}) == proxy);
}

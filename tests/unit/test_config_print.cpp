// The resolved-config printer (--check-config): durations in their shortest
// form, every key present, and text that parses back to the same config.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "settings/config_loader.hpp"
#include "settings/config_print.hpp"

using tickerd::format_duration;
using std::chrono::milliseconds;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string without_first_line(const std::string& s) { return s.substr(s.find('\n')); }

}  // namespace

TEST_CASE("format_duration writes the shortest form parse_duration reads back", "[config_print]") {
    CHECK(format_duration(milliseconds(250)) == "250ms");
    CHECK(format_duration(milliseconds(5'000)) == "5s");
    CHECK(format_duration(milliseconds(90'000)) == "1m30s");
    CHECK(format_duration(milliseconds(1'500)) == "1s500ms");
    CHECK(format_duration(milliseconds(86'400'000)) == "24h");
    CHECK(format_duration(milliseconds(3'661'001)) == "1h1m1s1ms");
    CHECK(format_duration(milliseconds(0)) == "0ms");
    for (long ms : {1L, 999L, 1'000L, 59'999L, 60'000L, 3'600'000L, 3'723'456L, 300'000L}) {
        INFO(ms);
        CHECK(tickerd::parse_duration(format_duration(milliseconds(ms))) == milliseconds(ms));
    }
}

TEST_CASE("The printed config of every shipped file parses back to the same config", "[config_print]") {
    for (const char* file : {"/config/tickerd.toml", "/config/demo.toml"}) {
        INFO(file);
        auto cfg = tickerd::parse_config(read_text(std::string(TICKERD_SOURCE_DIR) + file), file);
        REQUIRE(cfg);
        const std::string printed = tickerd::config_to_toml(*cfg);
        auto again = tickerd::parse_config(printed, "printed.toml");
        INFO(printed);
        REQUIRE(again);
        CHECK(without_first_line(tickerd::config_to_toml(*again)) == without_first_line(printed));
        CHECK(again->symbols.size() == cfg->symbols.size());
        CHECK(again->providers.size() == cfg->providers.size());
        for (std::size_t i = 0; i < cfg->symbols.size(); ++i) {
            CHECK(again->symbols[i].id == cfg->symbols[i].id);
            CHECK(again->symbols[i].max_age == cfg->symbols[i].max_age);
            CHECK(again->symbols[i].sources.size() == cfg->symbols[i].sources.size());
            REQUIRE((again->symbols[i].calendar == nullptr) == (cfg->symbols[i].calendar == nullptr));
            if (cfg->symbols[i].calendar) {
                CHECK(again->symbols[i].calendar->holidays == cfg->symbols[i].calendar->holidays);
                CHECK(again->symbols[i].calendar->regular == cfg->symbols[i].calendar->regular);
                CHECK(again->symbols[i].calendar->weekdays == cfg->symbols[i].calendar->weekdays);
            }
        }
    }
}

TEST_CASE("Non-default values, custom markets and IPv6 survive printing", "[config_print]") {
    const std::string text = R"(log_level = "debug"
[server]
listen = "[::1]:9090"
threads = 3
ping_interval = "1m30s"
web_root = "/srv/web"
[history]
resolution = "5s"
retention = "1h"
[bad_tick]
equity = "12.5"
[markets.LUNCH]
timezone = "Asia/Tokyo"
regular = ["09:00-11:30", "12:30-15:30"]
pre = "08:00-09:00"
weekdays = ["mon", "wed", "sat"]
holidays = ["2026-12-31", 2027-01-01]
[[symbols]]
id = "7203.T"
name = "Toyota \"Motor\""
class = "equity"
currency = "JPY"
precision = 0
sources = ["yahoo:7203.T"]
market = "LUNCH"
max_age = "250ms"
failover_after = 7
[providers.yahoo]
base_url = "https://example.com/prefix"
user_agent = "tickerd-test/1"
max_body_bytes = 4096
)";
    auto cfg = tickerd::parse_config(text, "t.toml");
    REQUIRE(cfg);
    const std::string printed = tickerd::config_to_toml(*cfg);
    INFO(printed);
    auto again = tickerd::parse_config(printed, "printed.toml");
    REQUIRE(again);
    CHECK(again->log_level == "debug");
    CHECK(again->server.listen_host == "::1");
    CHECK(again->server.listen_port == 9090);
    CHECK(again->server.threads == 3);
    CHECK(again->server.ping_interval == milliseconds(90'000));
    CHECK(again->server.web_root == "/srv/web");
    CHECK(again->history.resolution == milliseconds(5'000));
    CHECK(again->bad_tick.equity == cfg->bad_tick.equity);
    const auto& s = again->symbols.at(0);
    CHECK(s.name == "Toyota \"Motor\"");
    CHECK(s.max_age == milliseconds(250));
    CHECK(s.failover_after == 7);
    REQUIRE(s.calendar != nullptr);
    CHECK(s.calendar->timezone == "Asia/Tokyo");
    CHECK(s.calendar->regular.size() == 2);
    CHECK(s.calendar->pre == cfg->symbols[0].calendar->pre);
    CHECK(!s.calendar->post);
    CHECK(s.calendar->weekdays == cfg->symbols[0].calendar->weekdays);
    CHECK(s.calendar->holidays == cfg->symbols[0].calendar->holidays);
    const auto& y = again->providers.at("yahoo");
    CHECK(y.base_url == "https://example.com/prefix");
    CHECK(y.user_agent == "tickerd-test/1");
    CHECK(y.max_body_bytes == 4096);
    CHECK(without_first_line(tickerd::config_to_toml(*again)) == without_first_line(printed));
}

TEST_CASE("the printer carries limits, proxies, origins, pacing, CA files, state and half days through a round trip",
          "[config_print]") {
    const std::string text = R"(
[server]
state_dir = "/var/lib/tickerd-test"
state_save_interval = "2s"
trusted_proxies = ["10.0.0.0/8", "::1", "192.168.1.7"]
allowed_sites = ["https://a.example", "https://b.example"]
ops_listen = "[::1]:9101"
[limits]
max_connections = 50
max_connections_per_ip = 5
messages_per_second = 3
slow_client_timeout = "2s"
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
market = "XNAS"
[markets.XNAS]
half_days = [2026-11-27]
[providers.yahoo]
base_url = "https://127.0.0.1:9"
min_spacing = "750ms"
ca_file = "/etc/ssl/certs/ca-certificates.crt"
)";
    const auto first = tickerd::parse_config(text, "a.toml");
    if (!first) FAIL(first.error().what());
    const std::string printed = tickerd::config_to_toml(*first);
    const auto again = tickerd::parse_config(printed, "b.toml");
    if (!again) FAIL(again.error().what() << "\n" << printed);
    CHECK(again->server.state_dir == "/var/lib/tickerd-test");
    CHECK(again->server.state_save_interval == milliseconds(2'000));
    REQUIRE(again->server.trusted_proxies.size() == 3);
    CHECK(again->server.trusted_proxies[0].prefix == first->server.trusted_proxies[0].prefix);
    CHECK(again->server.trusted_proxies[2].base == first->server.trusted_proxies[2].base);
    CHECK(again->server.allowed_sites == first->server.allowed_sites);
    CHECK(again->server.allowed_sites.size() == 2);
    CHECK(again->server.ops_listen_set);
    CHECK(again->server.ops_listen_host == "::1");
    CHECK(again->server.ops_listen_port == 9101);
    CHECK(again->limits.max_connections == 50);
    CHECK(again->limits.max_connections_per_ip == 5);
    CHECK(again->limits.messages_per_second == 3);
    CHECK(again->limits.slow_client_timeout == milliseconds(2'000));
    CHECK(again->providers.at("yahoo").min_spacing == milliseconds(750));
    CHECK(again->providers.at("yahoo").ca_file == "/etc/ssl/certs/ca-certificates.crt");
    REQUIRE(again->symbols[0].calendar != nullptr);
    CHECK(again->symbols[0].calendar->half_days == first->symbols[0].calendar->half_days);
    CHECK(again->symbols[0].calendar->half_day_close == first->symbols[0].calendar->half_day_close);
    CHECK(without_first_line(tickerd::config_to_toml(*again)) == without_first_line(printed));
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "settings/config_loader.hpp"
#include "tickerd/feeds/registry.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view file_name = "bad-config.toml";

// A valid config; tests append to it or splice into it.
const std::string providers = R"(
[providers.yahoo]
base_url = "https://query1.finance.yahoo.com"

[providers.coinbase]
base_url = "https://api.exchange.coinbase.com"

[providers.sim]
seed = 7
)";

const std::string nvda = R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
)";

// Parses `text`, which must fail, and checks the error's key and that what() names the file.
config_error expect_error(const std::string& text, std::string_view key) {
    INFO(text);
    auto r = parse_config(text, file_name);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().what());
    CHECK(r.error().key == key);
    CHECK(r.error().file == file_name);
    CHECK(r.error().what().find(file_name) != std::string::npos);
    return r.error();
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

config expect_ok(const std::string& text) {
    auto r = parse_config(text, "good.toml");
    INFO(text);
    if (!r.ok()) FAIL(r.error().what());
    return r.value();
}

}  // namespace

TEST_CASE("a full config parses with the right values", "[config]") {
    const auto c = expect_ok(R"(
log_level = "debug"

[server]
listen = "[::1]:9001"
threads = 3
ping_interval = "20s"
heartbeat_interval = "1m30s"
max_queued_messages = 64

[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
precision = 3
sources = ["yahoo:NVDA", "coinbase:NVDA-USD"]
max_age = "10m"

[[symbols]]
id = "USD/VND"
name = "US dollar / Vietnamese dong"
class = "fx"
currency = "VND"
precision = 0
sources = ["sim"]
max_age = "90s"
start_price = "25412.5"

[[symbols]]
id = "BTC"
class = "crypto"
currency = "USD"
sources = ["sim"]
start_price = 71420.25

[providers.yahoo]
base_url = "https://query1.finance.yahoo.com/"
interval = "15s"
timeout = "4s"
max_backoff = "10m"
max_body_bytes = 65536
user_agent = "tickerd-test/1"

[providers.coinbase]
base_url = "http://127.0.0.1:8443/api/v1/"

[providers.sim]
seed = 42
interval = "100ms"
)");
    CHECK(c.file == "good.toml");
    CHECK(c.log_level == "debug");
    CHECK(c.server.listen_host == "::1");
    CHECK(c.server.listen_port == 9001);
    CHECK(c.server.threads == 3);
    CHECK(c.server.ping_interval == 20s);
    CHECK(c.server.heartbeat_interval == 90s);
    CHECK(c.server.max_queued_messages == 64);

    REQUIRE(c.symbols.size() == 3);
    const auto& n = c.symbols[0];
    CHECK(n.id == "NVDA");
    CHECK(n.name == "NVIDIA");
    CHECK(n.cls == asset_class::equity);
    CHECK(n.currency == "USD");
    CHECK(n.precision == 3);
    REQUIRE(n.sources.size() == 2);
    CHECK(n.sources[0].provider == "yahoo");
    CHECK(n.sources[0].upstream_symbol == "NVDA");
    CHECK(n.sources[1].provider == "coinbase");
    CHECK(n.sources[1].upstream_symbol == "NVDA-USD");
    CHECK(n.max_age == 10min);
    CHECK_FALSE(n.start_price.has_value());

    const auto& v = c.symbols[1];
    CHECK(v.id == "USD/VND");
    CHECK(v.cls == asset_class::fx);
    CHECK(v.precision == 0);
    REQUIRE(v.sources.size() == 1);
    CHECK(v.sources[0].provider == "sim");
    CHECK(v.sources[0].upstream_symbol.empty());
    CHECK(v.max_age == 90s);
    REQUIRE(v.start_price.has_value());
    CHECK(*v.start_price == *decimal::parse("25412.5"));

    const auto& b = c.symbols[2];
    CHECK(b.name == "BTC");  // defaults to the id
    CHECK(b.cls == asset_class::crypto);
    REQUIRE(b.start_price.has_value());
    CHECK(*b.start_price == *decimal::parse("71420.25"));

    REQUIRE(c.providers.size() == 3);
    const auto& y = c.providers.at("yahoo");
    CHECK(y.name == "yahoo");
    CHECK(y.base_url == "https://query1.finance.yahoo.com");
    CHECK(y.interval == 15s);
    CHECK(y.timeout == 4s);
    CHECK(y.max_backoff == 10min);
    CHECK(y.max_body_bytes == 65536);
    CHECK(y.user_agent == "tickerd-test/1");
    const auto& cb = c.providers.at("coinbase");
    CHECK(cb.base_url == "http://127.0.0.1:8443/api/v1");
    const auto& s = c.providers.at("sim");
    CHECK(s.seed == 42);
    CHECK(s.interval == 100ms);

    CHECK(c.find_symbol("USD/VND") == &c.symbols[1]);
    CHECK(c.find_symbol("usd/vnd") == nullptr);
    CHECK(c.find_symbol("") == nullptr);
}

TEST_CASE("defaults come from the struct initialisers", "[config]") {
    const auto c = expect_ok(providers + nvda + R"(
[[symbols]]
id = "X"
class = "crypto"
currency = "USD"
sources = ["sim"]
start_price = 3
)");
    const server_config def_server;
    CHECK(c.log_level == "info");
    CHECK(c.server.listen_host == def_server.listen_host);
    CHECK(c.server.listen_port == def_server.listen_port);
    CHECK(c.server.threads == def_server.threads);
    CHECK(c.server.ping_interval == def_server.ping_interval);
    CHECK(c.server.heartbeat_interval == def_server.heartbeat_interval);
    CHECK(c.server.max_queued_messages == def_server.max_queued_messages);

    const symbol_config def_symbol;
    REQUIRE(c.symbols.size() == 2);
    CHECK(c.symbols[0].name == "NVDA");
    CHECK(c.symbols[0].precision == def_symbol.precision);
    CHECK(c.symbols[0].max_age == def_symbol.max_age);
    CHECK(c.symbols[0].max_age == 5min);
    CHECK(c.symbols[1].start_price == decimal::from_int(3));

    const provider_config def_provider;
    const auto& y = c.providers.at("yahoo");
    CHECK(y.interval == def_provider.interval);
    CHECK(y.timeout == def_provider.timeout);
    CHECK(y.max_backoff == def_provider.max_backoff);
    CHECK(y.max_body_bytes == def_provider.max_body_bytes);
    CHECK(y.user_agent.empty());
    const auto& s = c.providers.at("sim");
    CHECK(s.interval == 250ms);
    CHECK(s.seed == 7);
}

TEST_CASE("max_backoff is 60s by default, also under a long interval, and may be below it", "[config]") {
    const auto c = expect_ok(nvda + R"(
[providers.yahoo]
base_url = "https://example.com"
interval = "10m"
)");
    CHECK(c.providers.at("yahoo").max_backoff == 60s);
    const auto openerapi = expect_ok(R"(
[[symbols]]
id = "USD/VND"
class = "fx"
currency = "VND"
sources = ["openerapi:USD/VND"]

[providers.openerapi]
)");
    CHECK(openerapi.providers.at("openerapi").interval == 1h);
    CHECK(openerapi.providers.at("openerapi").max_backoff == 60s);
    const auto shorter = expect_ok(nvda + R"(
[providers.yahoo]
base_url = "https://example.com"
interval = "10s"
max_backoff = "5s"
)");
    CHECK(shorter.providers.at("yahoo").max_backoff == 5s);
}

TEST_CASE("listen accepts IPv4 and bracketed IPv6 with ports 0..65535", "[config]") {
    struct good_case {
        const char* listen;
        const char* host;
        std::uint16_t port;
    };
    for (const auto& g : {good_case{"0.0.0.0:0", "0.0.0.0", 0}, good_case{"127.0.0.1:65535", "127.0.0.1", 65535},
                          good_case{"[::]:80", "::", 80}, good_case{"[fe80::1:2]:8080", "fe80::1:2", 8080}}) {
        const auto c = expect_ok(providers + nvda + "[server]\nlisten = \"" + g.listen + "\"\n");
        CHECK(c.server.listen_host == g.host);
        CHECK(c.server.listen_port == g.port);
    }
}

TEST_CASE("parse_duration", "[config]") {
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("5s") == 5s);
    CHECK(parse_duration("5m") == 5min);
    CHECK(parse_duration("2h") == 2h);
    CHECK(parse_duration("1m30s") == 90s);
    CHECK(parse_duration("1h2m3s4ms") == 1h + 2min + 3s + 4ms);
    CHECK(parse_duration("0s") == 0ms);
    CHECK(parse_duration("0ms") == 0ms);
    CHECK(parse_duration("1500ms") == 1500ms);
    CHECK(parse_duration("90m") == 90min);
    for (std::string_view bad : {"", "5", "0", "5x", "-5s", "+5s", "1.5s", "s", "ms", "5 s", " 5s", "5s ", "5S",
                                 "5sec", "1s1m", "1s1s", "5mss", "5s5", "99999999999999999999s", "9999999999999999h"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad).has_value());
    }
}

TEST_CASE("config_error::what is FILE: KEY: MESSAGE", "[config]") {
    CHECK(config_error{"a.toml", "server.listen", "bad"}.what() == "a.toml: server.listen: bad");
    CHECK(config_error{"a.toml", "", "bad"}.what() == "a.toml: bad");
}

TEST_CASE("unknown keys are errors at every level", "[config]") {
    CHECK(contains(expect_error("bogus = 1\n" + providers + nvda, "bogus").message, "unknown key"));
    // The first unknown key in document order is the one reported.
    expect_error("zzz = 1\naaa = 2\n" + providers + nvda, "zzz");
    CHECK(contains(expect_error(providers + nvda + "[server]\nlisten = \"127.0.0.1:1\"\nport = 80\n", "server.port")
                       .message,
                   "unknown key"));
    expect_error(providers + nvda + R"(
[[symbols]]
id = "TSM"
class = "equity"
currency = "USD"
sources = ["yahoo:TSM"]
colour = "red"
)",
                 "symbols[1].colour");
    expect_error(providers + "bogus = true\n" + nvda, "providers.sim.bogus");
    expect_error(R"(
[providers.yahoo]
base_url = "https://example.com"
intervall = "5s"
)" + nvda,
                 "providers.yahoo.intervall");
}

TEST_CASE("wrong types name the expected type", "[config]") {
    CHECK(contains(expect_error("log_level = 3\n" + providers + nvda, "log_level").message, "string"));
    CHECK(contains(expect_error(providers + nvda + "[server]\nthreads = \"4\"\n", "server.threads").message,
                   "integer"));
    CHECK(contains(expect_error(providers + nvda + "[server]\nping_interval = 5\n", "server.ping_interval").message,
                   "duration"));
    CHECK(contains(expect_error(providers + "server = 1\n" + nvda, "providers.sim.server").message, "unknown key"));
    CHECK(contains(expect_error("server = 1\n" + providers + nvda, "server").message, "table"));
    CHECK(contains(expect_error(providers + R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = "yahoo:NVDA"
)",
                                "symbols[0].sources")
                       .message,
                   "array"));
    CHECK(contains(expect_error(providers + R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA", 5]
)",
                                "symbols[0].sources[1]")
                       .message,
                   "string"));
    CHECK(contains(expect_error(providers + nvda + "precision = 2.0\n", "symbols[0].precision").message, "integer"));
    CHECK(contains(expect_error(providers + "[symbols]\nid = \"NVDA\"\n", "symbols").message, "array"));
    CHECK(contains(expect_error("symbols = [1]\n" + providers, "symbols[0]").message, "table"));
    expect_error(providers + nvda + "id2 = 1\n", "symbols[0].id2");
    CHECK(contains(expect_error("providers = 3\n" + nvda, "providers").message, "table"));
    CHECK(contains(expect_error("[providers]\nyahoo = 3\n" + nvda, "providers.yahoo").message, "table"));
    CHECK(contains(expect_error(R"(
[providers.yahoo]
base_url = "https://example.com"
max_body_bytes = "1MB"
)" + nvda,
                                "providers.yahoo.max_body_bytes")
                       .message,
                   "integer"));
    CHECK(contains(expect_error(providers + nvda + "start_price = true\n", "symbols[0].start_price").message,
                   "sim"));
}

TEST_CASE("unknown providers are errors, as a table and in a source", "[config]") {
    CHECK(contains(expect_error(providers + "[providers.foo]\nbase_url = \"https://foo.example\"\n" + nvda,
                                "providers.foo")
                       .message,
                   "unknown provider 'foo'"));
    CHECK(contains(expect_error(providers + R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA", "foo:NVDA"]
)",
                                "symbols[0].sources[1]")
                       .message,
                   "unknown provider 'foo'"));
}

TEST_CASE("a source needs its provider configured", "[config]") {
    const auto e = expect_error(R"(
[providers.coinbase]
base_url = "https://api.exchange.coinbase.com"
)" + nvda,
                                "symbols[0].sources[0]");
    CHECK(contains(e.message, "provider 'yahoo' is not configured: add [providers.yahoo]"));
    expect_error(nvda, "symbols[0].sources[0]");
    // sim follows the same rule.
    expect_error(R"(
[[symbols]]
id = "X"
class = "fx"
currency = "VND"
sources = ["sim"]
start_price = "1"
)",
                 "symbols[0].sources[0]");
    // A configured provider that no symbol uses is fine.
    CHECK(expect_ok(providers + nvda).providers.size() == 3);
}

TEST_CASE("malformed sources", "[config]") {
    auto with_sources = [](const std::string& sources) {
        return providers + "[[symbols]]\nid = \"NVDA\"\nclass = \"equity\"\ncurrency = \"USD\"\nsources = " + sources +
               "\n";
    };
    expect_error(with_sources(R"(["yahoo"])"), "symbols[0].sources[0]");
    expect_error(with_sources(R"(["yahoo:NVDA", ":NVDA"])"), "symbols[0].sources[1]");
    expect_error(with_sources(R"(["yahoo:"])"), "symbols[0].sources[0]");
    expect_error(with_sources(R"(["sim:NVDA"])"), "symbols[0].sources[0]");
    expect_error(with_sources(R"(["yahoo:NV DA"])"), "symbols[0].sources[0]");
    expect_error(with_sources(R"(["yahoo:NVDA", "yahoo:NVDA"])"), "symbols[0].sources[1]");
    expect_error(with_sources(R"([])"), "symbols[0].sources");
    // Upstream symbols may contain ':' after the first one.
    const auto c = expect_ok(with_sources(R"(["yahoo:A:B"])"));
    CHECK(c.symbols[0].sources[0].upstream_symbol == "A:B");
}

TEST_CASE("sim cannot be mixed with a real provider in one symbol", "[config]") {
    const std::string sym = R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
start_price = "1284.30"
)";
    CHECK(contains(expect_error(providers + sym + R"(sources = ["sim", "yahoo:NVDA"])" + "\n", "symbols[0].sources[1]")
                       .message,
                   "sim"));
    expect_error(providers + sym + R"(sources = ["coinbase:X", "sim"])" + "\n", "symbols[0].sources[1]");
    expect_error(providers + sym + R"(sources = ["sim", "sim"])" + "\n", "symbols[0].sources[1]");
}

TEST_CASE("duplicate symbol ids", "[config]") {
    const auto e = expect_error(providers + nvda + nvda, "symbols[1].id");
    CHECK(contains(e.message, "NVDA"));
    CHECK(contains(e.message, "duplicate"));
}

TEST_CASE("symbol ids are checked", "[config]") {
    auto with_id = [](const std::string& id) {
        return providers + "[[symbols]]\nid = \"" + id +
               "\"\nclass = \"equity\"\ncurrency = \"USD\"\nsources = [\"yahoo:X\"]\n";
    };
    expect_ok(with_id("USD/VND"));
    expect_ok(with_id("9988.HK"));
    expect_ok(with_id("^GSPC"));
    expect_ok(with_id("VND=X"));
    expect_ok(with_id("A_B-C"));
    expect_ok(with_id(std::string(32, 'A')));
    expect_error(with_id(""), "symbols[0].id");
    expect_error(with_id("NV DA"), "symbols[0].id");
    expect_error(with_id("NVDA!"), "symbols[0].id");
    expect_error(with_id("\u00e9"), "symbols[0].id");
    expect_error(with_id(std::string(33, 'A')), "symbols[0].id");
}

TEST_CASE("bad durations", "[config]") {
    const auto e = expect_error(R"(
[providers.yahoo]
base_url = "https://example.com"
interval = "5x"
)" + nvda,
                                "providers.yahoo.interval");
    CHECK(contains(e.message, "5x"));
    expect_error(providers + nvda + "max_age = \"1.5s\"\n", "symbols[0].max_age");
    expect_error(providers + nvda + "max_age = \"0s\"\n", "symbols[0].max_age");
    expect_error(providers + nvda + "[server]\nheartbeat_interval = \"-5s\"\n", "server.heartbeat_interval");
    expect_error(providers + nvda + "[server]\nping_interval = \"\"\n", "server.ping_interval");
    expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\ninterval = \"0ms\"\n" + nvda,
                 "providers.yahoo.interval");
    expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\ntimeout = \"0s\"\n" + nvda,
                 "providers.yahoo.timeout");
    expect_error("[providers.sim]\ninterval = \"5\"\n" + nvda, "providers.sim.interval");
    expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\nmax_backoff = \"0s\"\n" + nvda,
                 "providers.yahoo.max_backoff");
}

TEST_CASE("missing required keys", "[config]") {
    const auto e = expect_error(providers, "symbols");
    CHECK(contains(e.message, "[[symbols]]"));
    expect_error("symbols = []\n" + providers, "symbols");
    expect_error(providers + "[[symbols]]\nclass = \"equity\"\ncurrency = \"USD\"\nsources = [\"yahoo:X\"]\n",
                 "symbols[0].id");
    expect_error(providers + nvda + "[[symbols]]\nid = \"X\"\ncurrency = \"USD\"\nsources = [\"yahoo:X\"]\n",
                 "symbols[1].class");
    expect_error(providers + "[[symbols]]\nid = \"X\"\nclass = \"fx\"\nsources = [\"yahoo:X\"]\n",
                 "symbols[0].currency");
    expect_error(providers + "[[symbols]]\nid = \"X\"\nclass = \"fx\"\ncurrency = \"USD\"\n", "symbols[0].sources");
    CHECK(contains(expect_error("[providers.yahoo]\ninterval = \"5s\"\n" + nvda, "providers.yahoo.base_url").message,
                   "required"));
}

TEST_CASE("bad values", "[config]") {
    expect_error(providers + "[[symbols]]\nid = \"X\"\nclass = \"stock\"\ncurrency = \"USD\"\nsources = [\"yahoo:X\"]\n",
                 "symbols[0].class");
    expect_error(providers + nvda + "precision = 9\n", "symbols[0].precision");
    expect_error(providers + nvda + "precision = -1\n", "symbols[0].precision");
    expect_error(providers + nvda + "name = \"\"\n", "symbols[0].name");
    expect_error(providers + "[[symbols]]\nid = \"X\"\nclass = \"fx\"\ncurrency = \"\"\nsources = [\"yahoo:X\"]\n",
                 "symbols[0].currency");
    expect_error("log_level = \"verbose\"\n" + providers + nvda, "log_level");
    expect_error(providers + nvda + "[server]\nthreads = -1\n", "server.threads");
    expect_error(providers + nvda + "[server]\nmax_queued_messages = 0\n", "server.max_queued_messages");
    expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\nmax_body_bytes = 0\n" + nvda,
                 "providers.yahoo.max_body_bytes");
    expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\nuser_agent = \"a\\nb\"\n" + nvda,
                 "providers.yahoo.user_agent");
}

TEST_CASE("bad listen addresses", "[config]") {
    for (std::string_view listen : {"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                                    "127.0.0.1:80x", "localhost:8080", "256.0.0.1:80", "1.2.3:80", "01.2.3.4:80",
                                    "::1:8080", "[::1]8080", "[::1]:", "[::g]:80", "[::1:80", ":8080"}) {
        INFO(listen);
        expect_error(providers + nvda + "[server]\nlisten = \"" + std::string(listen) + "\"\n", "server.listen");
    }
}

TEST_CASE("base_url is checked and normalised", "[config]") {
    auto with_url = [](std::string_view url) {
        return "[providers.yahoo]\nbase_url = \"" + std::string(url) + "\"\n" + nvda;
    };
    struct good_case {
        const char* url;
        const char* normalised;
    };
    for (const auto& g : {good_case{"https://example.com", "https://example.com"},
                          good_case{"https://example.com//", "https://example.com"},
                          good_case{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
                          good_case{"http://[::1]:9/prefix/v1/", "http://[::1]:9/prefix/v1"}}) {
        INFO(g.url);
        CHECK(expect_ok(with_url(g.url)).providers.at("yahoo").base_url == g.normalised);
    }
    for (std::string_view bad : {"", "example.com", "ftp://example.com", "https://", "https:///x",
                                 "https://example.com?x=1", "https://example.com/a#b", "https://u:p@example.com",
                                 "https://example.com:0", "https://example.com:99999", "https://example.com:",
                                 "https://exa mple.com", "https://[::1", "HTTPS://example.com"}) {
        INFO(bad);
        expect_error(with_url(bad), "providers.yahoo.base_url");
    }
}

TEST_CASE("sim-only and HTTP-only provider keys", "[config]") {
    CHECK(contains(expect_error("[providers.yahoo]\nbase_url = \"https://example.com\"\nseed = 1\n" + nvda,
                                "providers.yahoo.seed")
                       .message,
                   "sim"));
    expect_error("[providers.sim]\nbase_url = \"https://example.com\"\n" + nvda, "providers.sim.base_url");
    expect_error("[providers.sim]\ntimeout = \"1s\"\n" + nvda, "providers.sim.timeout");
    expect_error("[providers.sim]\nseed = -1\n" + nvda, "providers.sim.seed");
}

TEST_CASE("start_price", "[config]") {
    auto sim_symbol = [](const std::string& extra) {
        return "[providers.sim]\n[[symbols]]\nid = \"X\"\nclass = \"equity\"\ncurrency = \"USD\"\nsources = "
               "[\"sim\"]\n" +
               extra;
    };
    CHECK(contains(expect_error(sim_symbol(""), "symbols[0].start_price").message, "required"));
    CHECK(contains(expect_error(providers + nvda + "start_price = \"1\"\n", "symbols[0].start_price").message,
                   "only used by the sim provider"));
    expect_error(sim_symbol("start_price = \"0\"\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = -5\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = \"1,284.30\"\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = \"\"\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = nan\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = inf\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = 1e20\n"), "symbols[0].start_price");
    expect_error(sim_symbol("start_price = 100000000000\n"), "symbols[0].start_price");

    auto price = [&](const std::string& value) {
        return *expect_ok(sim_symbol("start_price = " + value + "\n")).symbols[0].start_price;
    };
    CHECK(price("\"1284.30\"") == *decimal::parse("1284.3"));
    CHECK(price("\"0.00021692\"") == decimal::from_units(21692));
    CHECK(price("25412") == decimal::from_int(25412));
    CHECK(price("1284.30") == *decimal::parse("1284.3"));
    CHECK(price("1_284.30") == *decimal::parse("1284.3"));
    CHECK(price("0.1") == decimal::from_units(10'000'000));
    CHECK(price("2.5e3") == decimal::from_int(2500));
    // More digits than a double holds: the text as written is used.
    CHECK(price("12345678901.12345678") == decimal::from_units(1234567890112345678));
}

TEST_CASE("invalid TOML is reported with its line", "[config]") {
    const auto e = expect_error(providers + nvda + "precision = \n", "");
    CHECK(contains(e.message, "line 16"));
    CHECK(contains(e.what(), "bad-config.toml: "));
}

TEST_CASE("error messages give the line of the offending value", "[config]") {
    const auto e = expect_error("\n\nlog_level = \"loud\"\n" + providers + nvda, "log_level");
    CHECK(contains(e.message, "(line 3)"));
}

TEST_CASE("load_config reports an unreadable file", "[config]") {
    const std::string missing = std::string(TICKERD_SOURCE_DIR) + "/config/does-not-exist.toml";
    auto r = load_config(missing);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().key.empty());
    CHECK(r.error().file == missing);
    CHECK(contains(r.error().what(), missing));
    CHECK(contains(r.error().message, "cannot read"));

    const std::string dir = std::string(TICKERD_SOURCE_DIR) + "/config";
    auto d = load_config(dir);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().key.empty());
    CHECK(contains(d.error().what(), dir));
}

namespace {

void check_shipped_symbols(const config& c) {
    REQUIRE(c.symbols.size() == 5);
    CHECK(c.symbols[0].id == "NVDA");
    CHECK(c.symbols[1].id == "TSM");
    CHECK(c.symbols[2].id == "9988.HK");
    CHECK(c.symbols[3].id == "BTC");
    CHECK(c.symbols[4].id == "USD/VND");
    CHECK(c.symbols[3].cls == asset_class::crypto);
    CHECK(c.symbols[4].cls == asset_class::fx);
    CHECK(c.symbols[4].currency == "VND");
    CHECK(c.symbols[4].precision == 0);
    CHECK(c.server.listen_host == "127.0.0.1");
    CHECK(c.server.listen_port == 8080);
}

}  // namespace

TEST_CASE("config/tickerd.toml parses and uses only real providers", "[config]") {
    auto r = load_config(std::string(TICKERD_SOURCE_DIR) + "/config/tickerd.toml");
    if (!r.ok()) FAIL(r.error().what());
    const auto& c = r.value();
    check_shipped_symbols(c);
    CHECK_FALSE(c.providers.contains("sim"));
    for (const auto& s : c.symbols) {
        INFO(s.id);
        CHECK_FALSE(s.start_price.has_value());
        REQUIRE_FALSE(s.sources.empty());
        for (const auto& src : s.sources) CHECK(src.provider != "sim");
    }
    CHECK(c.symbols[3].sources[0].provider == "coinbase_ws");
    CHECK(c.symbols[3].sources[0].upstream_symbol == "BTC-USD");
    CHECK(c.providers.at("coinbase_ws").base_url == "wss://ws-feed.exchange.coinbase.com");
    CHECK(c.symbols[4].sources[0].upstream_symbol == "VND=X");
    REQUIRE(c.symbols[4].sources.size() == 2);
    CHECK(c.symbols[4].sources[1].provider == "openerapi");
    CHECK(c.symbols[4].sources[1].upstream_symbol == "USD/VND");
    CHECK(c.providers.at("openerapi").base_url == "https://open.er-api.com");
    CHECK(c.providers.at("openerapi").interval == 1h);
    CHECK(c.server.state_dir.empty());
    CHECK(c.server.state_save_interval == 5s);
    CHECK(c.providers.at("yahoo").base_url == "https://query1.finance.yahoo.com");
    CHECK(c.providers.at("yahoo").interval == 15s);
    CHECK(c.providers.at("coinbase").base_url == "https://api.exchange.coinbase.com");
    CHECK(c.providers.at("coinbase").interval == 5s);
}

TEST_CASE("config/demo.toml parses and uses only sim", "[config]") {
    auto r = load_config(std::string(TICKERD_SOURCE_DIR) + "/config/demo.toml");
    if (!r.ok()) FAIL(r.error().what());
    const auto& c = r.value();
    check_shipped_symbols(c);
    REQUIRE(c.providers.size() == 1);
    CHECK(c.providers.at("sim").seed == 42);
    CHECK(c.providers.at("sim").interval == 250ms);
    for (const auto& s : c.symbols) {
        INFO(s.id);
        REQUIRE(s.sources.size() == 1);
        CHECK(s.sources[0].provider == "sim");
        CHECK(s.start_price.has_value());
    }
    CHECK(c.symbols[0].start_price == decimal::parse("1284.30"));
    CHECK(c.symbols[1].start_price == decimal::parse("248.72"));
    CHECK(c.symbols[2].start_price == decimal::parse("142.80"));
    CHECK(c.symbols[3].start_price == decimal::parse("71420.00"));
    CHECK(c.symbols[4].start_price == decimal::parse("25412"));
}

TEST_CASE("history and web_root keys", "[config]") {
    const std::string base = R"(
[[symbols]]
id = "X"
class = "crypto"
currency = "USD"
sources = ["sim"]
start_price = "1"
[providers.sim]
)";
    auto ok = tickerd::parse_config("[server]\nweb_root = \"/srv/web\"\n[history]\nresolution = \"30s\"\nretention = \"6h\"\n" + base, "h.toml");
    REQUIRE(ok);
    CHECK(ok->server.web_root == "/srv/web");
    CHECK(ok->history.resolution == std::chrono::seconds(30));
    CHECK(ok->history.retention == std::chrono::hours(6));
    auto defaults = tickerd::parse_config(base, "h.toml");
    REQUIRE(defaults);
    CHECK(defaults->history.resolution == std::chrono::minutes(1));
    CHECK(defaults->history.retention == std::chrono::hours(24));
    CHECK(defaults->server.web_root.empty());
    const std::pair<const char*, const char*> bad[] = {
        {"[history]\nresolution = \"500ms\"\n", "history.resolution"},
        {"[history]\nresolution = \"1m\"\nretention = \"30s\"\n", "history.retention"},
        {"[history]\nresolution = \"1s\"\nretention = \"48h\"\n", "history.retention"},
        {"[history]\nbogus = 1\n", "history.bogus"},
        {"[server]\nweb_root = \"\"\n", "server.web_root"},
        {"[server]\nweb_root = 5\n", "server.web_root"},
    };
    for (const auto& [text, key] : bad) {
        INFO(text);
        auto r = tickerd::parse_config(std::string(text) + base, "h.toml");
        REQUIRE_FALSE(r);
        CHECK(r.error().key == key);
    }
}

TEST_CASE("failover_after and failback_after", "[config]") {
    const std::string tail = R"(
sources = ["coinbase:BTC-USD", "binance:BTCUSDT"]
[providers.coinbase]
base_url = "https://api.exchange.coinbase.com"
[providers.binance]
base_url = "https://data-api.binance.vision"
)";
    const std::string head = "[[symbols]]\nid = \"BTC\"\nclass = \"crypto\"\ncurrency = \"USD\"\n";
    auto ok = tickerd::parse_config(head + "failover_after = 5\nfailback_after = 1\n" + tail, "f.toml");
    REQUIRE(ok);
    CHECK(ok->symbols[0].failover_after == 5);
    CHECK(ok->symbols[0].failback_after == 1);
    CHECK(ok->symbols[0].sources.size() == 2);
    auto defaults = tickerd::parse_config(head + tail, "f.toml");
    REQUIRE(defaults);
    CHECK(defaults->symbols[0].failover_after == 3);
    for (const char* bad : {"failover_after = 0\n", "failback_after = \"3\"\n", "failover_after = 1001\n"}) {
        INFO(bad);
        auto r = tickerd::parse_config(head + bad + tail, "f.toml");
        REQUIRE_FALSE(r);
        CHECK(r.error().key.starts_with("symbols[0].fail"));
    }
}

namespace {
// `text` (built on `providers`) with `extra` added to the table whose line `after` ends.
std::string with_provider_keys(std::string text, const std::string& extra,
                               const std::string& after = "base_url = \"https://query1.finance.yahoo.com\"\n") {
    const auto at = text.find(after);
    REQUIRE(at != std::string::npos);
    return text.insert(at + after.size(), extra);
}
}  // namespace

TEST_CASE("markets: built-in calendars by name, a [markets.NAME] table overrides or adds one", "[config][market_calendar]") {
    SECTION("a built-in name, and no market at all") {
        const auto c = expect_ok(providers + nvda + "market = \"XNAS\"\n" + R"(
[[symbols]]
id = "TSM"
class = "equity"
currency = "USD"
sources = ["yahoo:TSM"]
)");
        REQUIRE(c.symbols[0].calendar != nullptr);
        CHECK(c.symbols[0].market == "XNAS");
        CHECK(c.symbols[0].calendar->timezone == "America/New_York");
        REQUIRE(c.symbols[0].calendar->regular.size() == 1);
        CHECK(c.symbols[0].calendar->regular[0] == session_range{570min, 960min});
        CHECK(c.symbols[1].market.empty());
        CHECK(c.symbols[1].calendar == nullptr);
        CHECK(c.providers.at("yahoo").closed_interval == 60s);
    }
    SECTION("a table over a built-in keeps the keys it does not give") {
        const auto c = expect_ok(providers + nvda + "market = \"XNAS\"\n" + R"(
[markets.XNAS]
holidays = ["2026-12-25", 2027-01-01]
)");
        const auto& cal = *c.symbols[0].calendar;
        CHECK(cal.timezone == "America/New_York");
        CHECK(cal.pre == session_range{240min, 570min});
        REQUIRE(cal.holidays.size() == 2);
        CHECK(cal.holidays[0] == std::chrono::year{2026} / 12 / 25);
        CHECK(cal.holidays[1] == std::chrono::year{2027} / 1 / 1);
    }
    SECTION("a new market with every key") {
        const auto c = expect_ok(with_provider_keys(providers + nvda + "market = \"LSE-ish\"\n" + R"(
[markets.LSE-ish]
timezone = "Europe/London"
regular = ["08:00-12:00", "13:00-16:30"]
pre = "07:00-08:00"
post = "16:30-24:00"
weekdays = ["mon", "wed", "sun"]
holidays = []
)", "closed_interval = \"2m\"\n"));
        const auto& cal = *c.symbols[0].calendar;
        CHECK(cal.name == "LSE-ish");
        CHECK(cal.timezone == "Europe/London");
        REQUIRE(cal.regular.size() == 2);
        CHECK(cal.regular[1] == session_range{780min, 990min});
        CHECK(cal.post == session_range{990min, 1440min});
        CHECK(cal.weekdays == std::array<bool, 7>{true, true, false, true, false, false, false});
        CHECK(cal.holidays.empty());
        CHECK(c.providers.at("yahoo").closed_interval == 2min);
    }
    SECTION("always, and a table for an unused market") {
        const auto c = expect_ok(providers + nvda + "market = \"always\"\n" + R"(
[markets.SPARE]
timezone = "UTC"
regular = ["00:00-24:00"]
)");
        CHECK(c.symbols[0].calendar->always);
    }
}

TEST_CASE("markets: bad calendars and market names are errors naming the key", "[config][market_calendar]") {
    const std::string base = providers + nvda + "market = \"XNAS\"\n";
    expect_error(base + "[markets.XNAS]\nopens = \"09:30\"\n", "markets.XNAS.opens");
    expect_error(base + "[markets.XNAS]\nregular = \"09:30-16:00\"\n", "markets.XNAS.regular");
    expect_error(base + "[markets.XNAS]\nregular = []\n", "markets.XNAS.regular");
    auto e = expect_error(base + "[markets.XNAS]\nregular = [\"9:30-16:00\"]\n", "markets.XNAS.regular[0]");
    CHECK(contains(e.message, "invalid time range \"9:30-16:00\""));
    expect_error(base + "[markets.XNAS]\nregular = [\"16:00-09:30\"]\n", "markets.XNAS.regular[0]");
    expect_error(base + "[markets.XNAS]\nregular = [\"09:30-24:30\"]\n", "markets.XNAS.regular[0]");
    expect_error(base + "[markets.XNAS]\nregular = [\"09:30-12:00\", \"11:00-16:00\"]\n", "markets.XNAS.regular[1]");
    expect_error(base + "[markets.XNAS]\npre = \"04:00-10:00\"\n", "markets.XNAS.pre");
    expect_error(base + "[markets.XNAS]\npost = \"15:00-20:00\"\n", "markets.XNAS.post");
    expect_error(base + "[markets.XNAS]\npost = 1600\n", "markets.XNAS.post");
    e = expect_error(base + "[markets.XNAS]\ntimezone = \"America/Gotham\"\n", "markets.XNAS.timezone");
    CHECK(contains(e.message, "unknown time zone \"America/Gotham\""));
    expect_error(base + "[markets.XNAS]\nweekdays = [\"mon\", \"funday\"]\n", "markets.XNAS.weekdays[1]");
    expect_error(base + "[markets.XNAS]\nweekdays = [\"mon\", \"mon\"]\n", "markets.XNAS.weekdays[1]");
    expect_error(base + "[markets.XNAS]\nweekdays = []\n", "markets.XNAS.weekdays");
    expect_error(base + "[markets.XNAS]\nholidays = [\"2026-02-30\"]\n", "markets.XNAS.holidays[0]");
    expect_error(base + "[markets.XNAS]\nholidays = [\"2026-12-25\", \"25/12/2026\"]\n", "markets.XNAS.holidays[1]");
    expect_error(base + "[markets.XNAS]\nholidays = [20261225]\n", "markets.XNAS.holidays[0]");
    expect_error(base + "[markets.NEW]\nregular = [\"09:00-17:00\"]\n", "markets.NEW.timezone");
    expect_error(base + "[markets.NEW]\ntimezone = \"UTC\"\n", "markets.NEW.regular");
    expect_error(base + "[markets.always]\ntimezone = \"UTC\"\n", "markets.always");
    expect_error(base + "[markets]\nXNAS = 1\n", "markets.XNAS");
    expect_error("markets = 1\n" + base, "markets");
    e = expect_error(providers + nvda + "market = \"NASDAQ\"\n", "symbols[0].market");
    CHECK(contains(e.message, "unknown market \"NASDAQ\""));
    expect_error(providers + nvda + "market = 1\n", "symbols[0].market");
    expect_error(with_provider_keys(providers + nvda, "closed_interval = \"0s\"\n"), "providers.yahoo.closed_interval");
    expect_error(with_provider_keys(providers + nvda, "closed_interval = \"1m\"\n", "seed = 7\n"),
                 "providers.sim.closed_interval");
}

TEST_CASE("config/tickerd.toml gives every symbol its market", "[config][market_calendar]") {
    auto r = load_config(std::string(TICKERD_SOURCE_DIR) + "/config/tickerd.toml");
    if (!r.ok()) FAIL(r.error().what());
    const auto& c = r.value();
    const std::pair<const char*, const char*> expected[] = {
        {"NVDA", "XNAS"}, {"TSM", "XNYS"}, {"9988.HK", "XHKG"}, {"BTC", "always"}, {"USD/VND", "FX"}};
    for (const auto& [id, market] : expected) {
        INFO(id);
        const auto* s = c.find_symbol(id);
        REQUIRE(s != nullptr);
        CHECK(s->market == market);
        REQUIRE(s->calendar != nullptr);
    }
}

TEST_CASE("api_key_file is only for keyed providers", "[config]") {
    const std::string sym = "[[symbols]]\nid = \"NVDA\"\nclass = \"equity\"\ncurrency = \"USD\"\nsources = [\"finnhub:NVDA\"]\n";
    auto ok = tickerd::parse_config(sym + "[providers.finnhub]\nbase_url = \"https://finnhub.io\"\napi_key_file = \"/run/credentials/tickerd.service/finnhub\"\n", "k.toml");
    REQUIRE(ok);
    CHECK(ok->providers.at("finnhub").api_key_file == "/run/credentials/tickerd.service/finnhub");
    auto bad = tickerd::parse_config(sym + "[providers.finnhub]\nbase_url = \"https://finnhub.io\"\n[providers.yahoo]\nbase_url = \"https://query1.finance.yahoo.com\"\napi_key_file = \"/k\"\n", "k.toml");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().key == "providers.yahoo.api_key_file");
    auto in_toml = tickerd::parse_config(sym + "[providers.finnhub]\nbase_url = \"https://finnhub.io\"\napi_key = \"abc\"\n", "k.toml");
    REQUIRE_FALSE(in_toml);
    CHECK(in_toml.error().key == "providers.finnhub.api_key");
}

TEST_CASE("state_dir and state_save_interval", "[config][state]") {
    auto ok = tickerd::parse_config("[server]\nstate_dir = \"/var/lib/tickerd\"\nstate_save_interval = \"250ms\"\n" + nvda +
                                        "[providers.yahoo]\nbase_url = \"https://query1.finance.yahoo.com\"\n",
                                    "s.toml");
    REQUIRE(ok);
    CHECK(ok->server.state_dir == "/var/lib/tickerd");
    CHECK(ok->server.state_save_interval == 250ms);
    const std::pair<const char*, const char*> bad[] = {
        {"[server]\nstate_dir = \"\"\n", "server.state_dir"},
        {"[server]\nstate_dir = 1\n", "server.state_dir"},
        {"[server]\nstate_save_interval = \"50ms\"\n", "server.state_save_interval"},
        {"[server]\nstate_save_interval = \"soon\"\n", "server.state_save_interval"},
        {"[server]\nstate_save_interval = 5\n", "server.state_save_interval"},
    };
    for (const auto& [text, key] : bad) {
        expect_error(std::string(text) + nvda + "[providers.yahoo]\nbase_url = \"https://query1.finance.yahoo.com\"\n", key);
    }
}

TEST_CASE("openerapi: known provider with a default base_url and hourly interval, BASE/QUOTE symbols", "[config][openerapi]") {
    const std::string fx = "[[symbols]]\nid = \"USD/VND\"\nclass = \"fx\"\ncurrency = \"VND\"\nsources = [\"openerapi:USD/VND\"]\n";
    auto ok = tickerd::parse_config(fx + "[providers.openerapi]\n", "o.toml");
    if (!ok) FAIL(ok.error().what());
    CHECK(ok->providers.at("openerapi").base_url == "https://open.er-api.com");
    CHECK(ok->providers.at("openerapi").interval == 1h);
    CHECK(tickerd::find_poll_feed("openerapi") != nullptr);
    CHECK(tickerd::find_poll_feed("openerapi")->daemon_day_reference);
    const auto e = expect_error(
        "[[symbols]]\nid = \"USD/VND\"\nclass = \"fx\"\ncurrency = \"VND\"\nsources = [\"openerapi:VND\"]\n[providers.openerapi]\n",
        "symbols[0].sources[0]");
    CHECK(contains(e.message, "BASE/QUOTE"));
}

TEST_CASE("markets: half_days and half_day_close", "[config][market_calendar][half_days]") {
    const std::string base = providers + nvda + "market = \"XHKG\"\n";
    const auto c = expect_ok(base + "[markets.XHKG]\nhalf_days = [\"2026-12-24\", 2026-12-31]\n");
    const auto* s = c.find_symbol("NVDA");
    REQUIRE(s != nullptr);
    REQUIRE(s->calendar != nullptr);
    REQUIRE(s->calendar->half_days.size() == 2);
    CHECK(s->calendar->half_days[1] == std::chrono::year{2026} / 12 / 31);
    CHECK(s->calendar->half_day_close == std::chrono::minutes(12 * 60));  // the built-in's

    const auto c2 = expect_ok(base + "[markets.XHKG]\nhalf_day_close = \"11:00\"\nhalf_days = [\"2026-12-24\"]\n");
    CHECK(c2.find_symbol("NVDA")->calendar->half_day_close == std::chrono::minutes(11 * 60));

    expect_error(base + "[markets.XHKG]\nhalf_days = [\"2026-13-01\"]\n", "markets.XHKG.half_days[0]");
    expect_error(base + "[markets.XHKG]\nhalf_days = \"2026-12-24\"\n", "markets.XHKG.half_days");
    expect_error(base + "[markets.XHKG]\nholidays = [\"2026-12-24\"]\nhalf_days = [\"2026-12-24\"]\n",
                 "markets.XHKG.half_days[0]");
    expect_error(base + "[markets.XHKG]\nhalf_day_close = \"12\"\n", "markets.XHKG.half_day_close");
    expect_error(base + "[markets.XHKG]\nhalf_day_close = \"08:00\"\n", "markets.XHKG.half_day_close");
    expect_error(base + "[markets.XHKG]\nhalf_day_close = \"16:30\"\n", "markets.XHKG.half_day_close");
    // A new market with half days must say when they close.
    expect_error(providers + nvda + "market = \"NEW\"\n[markets.NEW]\ntimezone = \"UTC\"\nregular = [\"09:00-17:00\"]\n"
                                    "half_days = [\"2026-12-24\"]\n",
                 "markets.NEW.half_day_close");
}

TEST_CASE("config/tickerd.toml ships 2026 and 2027 holidays and half days", "[config][market_calendar][half_days]") {
    auto r = load_config(std::string(TICKERD_SOURCE_DIR) + "/config/tickerd.toml");
    if (!r.ok()) FAIL(r.error().what());
    const auto& c = r.value();
    using std::chrono::year;
    const auto* nvda_sym = c.find_symbol("NVDA");
    const auto* hk_sym = c.find_symbol("9988.HK");
    REQUIRE(nvda_sym != nullptr);
    REQUIRE(hk_sym != nullptr);
    const auto& us = *nvda_sym->calendar;
    const auto& hk = *hk_sym->calendar;
    auto has = [](const std::vector<std::chrono::year_month_day>& v, std::chrono::year_month_day d) {
        return std::find(v.begin(), v.end(), d) != v.end();
    };
    CHECK(has(us.holidays, year{2026} / 11 / 26));
    CHECK(has(us.holidays, year{2027} / 12 / 24));  // Christmas 2027 observed on Friday
    CHECK(has(us.half_days, year{2026} / 11 / 27));
    CHECK(has(us.half_days, year{2026} / 12 / 24));
    CHECK(has(us.half_days, year{2027} / 11 / 26));
    CHECK(has(hk.holidays, year{2026} / 2 / 17));   // Lunar New Year
    CHECK(has(hk.holidays, year{2027} / 2 / 9));    // the fourth day of Lunar New Year (the second was a Sunday)
    CHECK(has(hk.half_days, year{2026} / 2 / 16));  // Lunar New Year's Eve
    CHECK(has(hk.half_days, year{2026} / 12 / 24));
    CHECK(has(hk.half_days, year{2027} / 12 / 31));
    CHECK(hk.half_day_close == std::chrono::minutes(12 * 60));
}

TEST_CASE("providers: min_spacing defaults per provider, ca_file", "[config][pacing]") {
    const auto c = expect_ok(providers + nvda + R"(
[providers.finnhub]
base_url = "https://finnhub.io"
[providers.kraken]
base_url = "https://api.kraken.com"
min_spacing = "250ms"
ca_file = "/etc/ssl/corp-proxy.pem"
)");
    CHECK(c.providers.at("finnhub").min_spacing == 1s);
    REQUIRE(find_provider("yahoo") != nullptr);
    CHECK(c.providers.at("yahoo").min_spacing == find_provider("yahoo")->min_spacing);
    CHECK(c.providers.at("coinbase").min_spacing == 100ms);
    CHECK(c.providers.at("kraken").min_spacing == 250ms);
    CHECK(c.providers.at("kraken").ca_file == "/etc/ssl/corp-proxy.pem");
    CHECK(c.providers.at("yahoo").ca_file.empty());
    CHECK(c.providers.at("sim").min_spacing == 0ms);
    CHECK(expect_ok(providers + nvda + "[providers.binance]\nbase_url = \"https://x\"\nmin_spacing = \"0ms\"\n")
              .providers.at("binance")
              .min_spacing == 0ms);

    expect_error(providers + nvda + "[providers.kraken]\nbase_url = \"https://x\"\nmin_spacing = \"1.5s\"\n",
                 "providers.kraken.min_spacing");
    expect_error(providers + nvda + "[providers.kraken]\nbase_url = \"https://x\"\nmin_spacing = \"2h\"\n",
                 "providers.kraken.min_spacing");
    expect_error(providers + nvda + "[providers.kraken]\nbase_url = \"https://x\"\nca_file = \"\"\n",
                 "providers.kraken.ca_file");
    expect_error(providers + nvda + "[providers.kraken]\nbase_url = \"https://x\"\nca_file = 3\n",
                 "providers.kraken.ca_file");
    expect_error(providers + nvda + "[providers.coinbase_ws]\nbase_url = \"wss://x\"\nmin_spacing = \"1s\"\n",
                 "providers.coinbase_ws.min_spacing");
    auto sim_with = [](std::string key) {
        std::string p = providers;
        p.replace(p.find("seed = 7\n"), 9, "seed = 7\n" + key);
        return p + nvda;
    };
    expect_error(sim_with("min_spacing = \"1s\"\n"), "providers.sim.min_spacing");
    expect_error(sim_with("ca_file = \"/x.pem\"\n"), "providers.sim.ca_file");
}

TEST_CASE("[limits] and the server's proxy, Origin and CORS lists parse and are validated", "[config]") {
    const config d = expect_ok(providers + nvda);
    CHECK(d.limits.max_connections == 10'000);
    CHECK(d.limits.max_connections_per_ip == 100);
    CHECK(d.limits.max_header_bytes == 8192);
    CHECK(d.limits.max_message_bytes == 4096);
    CHECK(d.limits.messages_per_second == 10);
    CHECK(d.limits.slow_client_timeout == std::chrono::seconds(10));
    CHECK(d.server.trusted_proxies.empty());
    CHECK(d.server.allowed_sites.empty());
    CHECK_FALSE(d.server.ops_listen_set);

    const config c = expect_ok(providers + nvda + R"(
[server]
trusted_proxies = ["10.0.0.0/8", "::1"]
allowed_sites = ["https://Ticker.Example", "http://localhost:8080"]
ops_listen = "127.0.0.1:9101"

[limits]
max_connections = 500
max_connections_per_ip = 0
max_header_bytes = 16384
max_message_bytes = 1024
handshake_timeout = "2s"
idle_timeout = "1m"
messages_per_second = 3
max_queued_bytes = 65536
slow_client_timeout = "3s"
send_buffer_bytes = 32768
)");
    CHECK(c.limits.max_connections == 500);
    CHECK(c.limits.max_connections_per_ip == 0);
    CHECK(c.limits.max_header_bytes == 16384);
    CHECK(c.limits.max_message_bytes == 1024);
    CHECK(c.limits.handshake_timeout == std::chrono::seconds(2));
    CHECK(c.limits.idle_timeout == std::chrono::minutes(1));
    CHECK(c.limits.messages_per_second == 3);
    CHECK(c.limits.max_queued_bytes == 65536);
    CHECK(c.limits.slow_client_timeout == std::chrono::seconds(3));
    CHECK(c.limits.send_buffer_bytes == 32768);
    REQUIRE(c.server.trusted_proxies.size() == 2);
    CHECK(c.server.trusted_proxies[0].contains(*parse_ip("10.1.2.3")));
    CHECK(c.server.trusted_proxies[1].contains(*parse_ip("::1")));
    CHECK(c.server.allowed_sites == std::vector<std::string>{"https://ticker.example", "http://localhost:8080"});
    CHECK(c.server.ops_listen_set);
    CHECK(c.server.ops_listen_host == "127.0.0.1");
    CHECK(c.server.ops_listen_port == 9101);

    expect_error(providers + nvda + "[limits]\nmax_conections = 1\n", "limits.max_conections");
    CHECK(contains(expect_error(providers + nvda + "[limits]\nmax_message_bytes = 10\n", "limits.max_message_bytes").message,
                   "between 64"));
    expect_error(providers + nvda + "[limits]\nmax_connections = -1\n", "limits.max_connections");
    expect_error(providers + nvda + "[limits]\nidle_timeout = \"0s\"\n", "limits.idle_timeout");
    expect_error(providers + nvda + "[limits]\nslow_client_timeout = 5\n", "limits.slow_client_timeout");
    expect_error(providers + nvda + "[limits]\nmax_queued_bytes = 100\n", "limits.max_queued_bytes");
    CHECK(contains(expect_error(providers + nvda + "[server]\ntrusted_proxies = [\"10.0.0.0/40\"]\n",
                                "server.trusted_proxies[0]")
                       .message,
                   "CIDR"));
    expect_error(providers + nvda + "[server]\ntrusted_proxies = \"10.0.0.1\"\n", "server.trusted_proxies");
    expect_error(providers + nvda + "[server]\ntrusted_proxies = [\"1.2.3.4\", \"proxy.local\"]\n",
                 "server.trusted_proxies[1]");
    CHECK(contains(expect_error(providers + nvda + "[server]\nallowed_sites = [\"https://a.example/path\"]\n",
                                "server.allowed_sites[0]")
                       .message,
                   "origin"));
    expect_error(providers + nvda + "[server]\nallowed_sites = [\"*\"]\n", "server.allowed_sites[0]");
    expect_error(providers + nvda + "[server]\nallowed_sites = [\"ftp://a.example\"]\n", "server.allowed_sites[0]");
    expect_error(providers + nvda + "[server]\nallowed_sites = [1]\n", "server.allowed_sites[0]");
    // The two lists allowed_sites replaced are refused with the name of their replacement.
    CHECK(contains(expect_error(providers + nvda + "[server]\nallowed_origins = [\"https://a.example\"]\n",
                                "server.allowed_origins")
                       .message,
                   "server.allowed_sites"));
    CHECK(contains(expect_error(providers + nvda + "[server]\ncors_origins = [\"*\"]\n", "server.cors_origins").message,
                   "server.allowed_sites"));
    expect_error(providers + nvda + "[server]\nops_listen = \"9101\"\n", "server.ops_listen");
    expect_error(providers + nvda + "[server]\nlisten = \"127.0.0.1:8080\"\nops_listen = \"127.0.0.1:8080\"\n",
                 "server.ops_listen");
}

// --- the push provider (coinbase_ws) ---------------------------------------------

namespace {

// BTC from `sources`, with `provider_tables`.
std::string push_config(std::string_view provider_tables, std::string_view sources = R"("coinbase_ws:BTC-USD")") {
    return std::string(R"(
[[symbols]]
id = "BTC"
class = "crypto"
currency = "USD"
sources = [)") + std::string(sources) + "]\n" + std::string(provider_tables);
}

}  // namespace

TEST_CASE("coinbase_ws is a known provider with its own keys", "[config][push]") {
    CHECK(is_known_provider("coinbase_ws"));
    CHECK(find_poll_feed("coinbase_ws") == nullptr);

    const auto ok = expect_ok(push_config(R"(
[providers.coinbase_ws]
base_url = "wss://ws-feed.exchange.coinbase.com/"
timeout = "3s"
idle_timeout = "2500ms"
max_backoff = "1s"
)"));
    const auto& p = ok.providers.at("coinbase_ws");
    CHECK(p.base_url == "wss://ws-feed.exchange.coinbase.com");
    CHECK(p.timeout == 3s);
    CHECK(p.idle_timeout == 2500ms);
    CHECK(p.max_backoff == 1s);
    CHECK(ok.symbols[0].sources[0].provider == "coinbase_ws");

    const auto defaults = expect_ok(push_config(R"(
[providers.coinbase_ws]
base_url = "ws://127.0.0.1:9000"
)"));
    CHECK(defaults.providers.at("coinbase_ws").idle_timeout == 5s);
}

TEST_CASE("coinbase_ws keys are checked", "[config][push]") {
    auto e = expect_error(push_config(R"(
[providers.coinbase_ws]
base_url = "https://ws-feed.exchange.coinbase.com"
)"),
                          "providers.coinbase_ws.base_url");
    CHECK_THAT(e.message, Catch::Contains("must start with ws:// or wss://"));

    e = expect_error(push_config(R"(
[providers.coinbase]
base_url = "wss://api.exchange.coinbase.com"
)",
                                 R"("coinbase:BTC-USD")"),
                     "providers.coinbase.base_url");
    CHECK_THAT(e.message, Catch::Contains("must start with http:// or https://"));

    e = expect_error(push_config(R"(
[providers.coinbase]
base_url = "https://api.exchange.coinbase.com"
idle_timeout = "5s"
)",
                                 R"("coinbase:BTC-USD")"),
                     "providers.coinbase.idle_timeout");
    CHECK_THAT(e.message, Catch::Contains("only used by the coinbase_ws provider"));

    e = expect_error(push_config(R"(
[providers.coinbase_ws]
base_url = "wss://ws-feed.exchange.coinbase.com"
interval = "5s"
)"),
                     "providers.coinbase_ws.interval");
    CHECK_THAT(e.message, Catch::Contains("not used by the coinbase_ws provider"));

    e = expect_error(push_config(R"(
[providers.coinbase_ws]
base_url = "wss://ws-feed.exchange.coinbase.com"
idle_timeout = "1.5s"
)"),
                     "providers.coinbase_ws.idle_timeout");
    CHECK_THAT(e.message, Catch::Contains("invalid duration"));

    e = expect_error(push_config(""), "symbols[0].sources[0]");
    CHECK_THAT(e.message, Catch::Contains("add [providers.coinbase_ws]"));
}

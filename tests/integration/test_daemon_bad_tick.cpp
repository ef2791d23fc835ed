// The real tickerd against a fake Yahoo: a price jump beyond the class limit is
// held back until a second poll confirms it, and a one-off glitch never reaches a client.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

struct nvda_upstream {
    fake_upstream up;
    std::int64_t now = unix_now();
    void price(std::string_view p) {
        up.set_route(yahoo_path("NVDA"), json_ok(yahoo_chart_body("NVDA", p, "1266.32", "USD", now - 5, now - 3 * 3600,
                                                                  now + 3 * 3600)));
    }
    std::string config() const {
        return fmt::format(R"(
[server]
listen = "127.0.0.1:0"
[bad_tick]
equity = 20
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
[providers.yahoo]
base_url = "{}"
interval = "300ms"
timeout = "2s"
)",
                           up.base_url());
    }
};

std::string nvda_price(const daemon_process& d) {
    auto r = http_get(d.port(), "/v1/quotes/NVDA");
    return r.status == 200 ? json_doc(r.body).raw("/price") : std::string("<none>");
}

}  // namespace

TEST_CASE("A one-off bad tick never reaches a client, a confirmed move does", "[integration][bad_tick]") {
    nvda_upstream m;
    m.price("1284.3");
    daemon_process d(m.config());
    REQUIRE(eventually([&] { return nvda_price(d) == "1284.30"; }, 5s));

    ws_client ws;
    ws.connect(d.port(), "/v1/stream?symbols=NVDA");
    ws.read_json(2s);  // the snapshot

    // A decimal-point slip served for exactly one poll.
    const auto path = yahoo_path("NVDA");
    const auto before = m.up.request_count(path);
    m.price("128.43");
    REQUIRE(m.up.wait_for_requests(path, before + 1, 3s));
    m.price("1284.3");
    REQUIRE(m.up.wait_for_requests(path, before + 3, 3s));
    CHECK(nvda_price(d) == "1284.30");
    CHECK(ws.try_read(300ms).value_or("<nothing>") == "<nothing>");
    CHECK(d.log_text().find("held until confirmed") != std::string::npos);

    // A real move: seen on two polls in a row, then published.
    m.price("1000.00");
    std::string update;
    REQUIRE(eventually([&] { return nvda_price(d) == "1000.00"; }, 5s));
    json_doc u(ws.read_json(2s));
    CHECK(u.str("/type") == "update");
    CHECK(u.raw("/quotes/0/price") == "1000.00");
    CHECK(d.log_text().find("NVDA: move to 1000 confirmed") != std::string::npos);
}

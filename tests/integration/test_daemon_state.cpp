// The real tickerd with a state directory: quotes, history and the openerapi
// previous-day reference survive restarts; kill -9 during saves never leaves a
// file that fails to load; a corrupt file is moved aside.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;
namespace fs = std::filesystem;

namespace {

std::string config(const fake_upstream& up, std::string_view extra_server = "") {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"
state_save_interval = "100ms"
{1}

[history]
resolution = "1s"
retention = "1h"

[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
precision = 2
sources = ["yahoo:NVDA"]
max_age = "1h"

[[symbols]]
id = "USD/VND"
class = "fx"
currency = "VND"
precision = 0
sources = ["openerapi:USD/VND"]
max_age = "1h"

[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"

[providers.openerapi]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
)",
                       up.base_url(), extra_server);
}

// open.er-api's /v6/latest/USD, shaped like tests/fixtures/open_er_api_latest_USD.json.
std::string openerapi_body(std::string_view vnd, std::int64_t updated_unix) {
    return fmt::format(
        R"({{"result":"success","provider":"https://www.exchangerate-api.com","documentation":"https://www.exchangerate-api.com/docs/free",)"
        R"("terms_of_use":"https://www.exchangerate-api.com/terms","time_last_update_unix":{1},"time_last_update_utc":"",)"
        R"("time_next_update_unix":{2},"time_next_update_utc":"","time_eol_unix":0,"base_code":"USD",)"
        R"("rates":{{"USD":1,"EUR":0.857211,"VND":{0}}}}})",
        vnd, updated_unix, updated_unix + 86400);
}

void yahoo(yahoo_coinbase_market& m, std::string_view price, std::string_view prev) { m.yahoo("NVDA", price, prev); }

daemon_options with_state(const scratch_dir& dir) {
    daemon_options o;
    o.state_dir = dir.str();
    return o;
}

bool has_corrupt_copy(const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().starts_with("snapshot.json.corrupt-")) return true;
    return false;
}

}  // namespace

TEST_CASE("quotes survive a restart and are served at once marked stale, then fresh", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "120.50", "118.00");
    scratch_dir state;
    std::uint64_t first_seq = 0;
    {
        daemon_process d(config(m.up), with_state(state));
        const auto q = wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "120.50"; });
        first_seq = q.u64("/seq");
        REQUIRE(d.stop() == 0);
        CHECK_THAT(d.log_text(), Catch::Contains("state: kept in"));
    }
    REQUIRE(fs::exists(state.path() / "snapshot.json"));

    // The upstream is down at the restart: the saved quote is all there is.
    m.up.set_route(yahoo_path("NVDA"), with_status(500, "{}"));
    daemon_process d(config(m.up), with_state(state));
    const auto r = http_get(d.port(), "/v1/quotes/NVDA");  // the first request, right after "listening"
    REQUIRE(r.status == 200);
    const json_doc restored(r.body);
    CHECK(restored.raw("/price") == "120.50");
    CHECK(restored.raw("/ref_price") == "118.00");
    CHECK(restored.boolean("/stale"));
    CHECK(restored.str("/source") == "yahoo");
    CHECK(restored.u64("/seq") > first_seq);  // seq keeps increasing across restarts
    CHECK_THAT(d.log_text(), Catch::Contains("state: restored 1 quotes"));
    const auto snap = json_doc(http_get(d.port(), "/v1/snapshot").body);
    CHECK(snap.u64("/seq") >= restored.u64("/seq"));

    // A fresh poll replaces it, with a higher seq.
    yahoo(m, "121.00", "118.00");
    const auto fresh = wait_quote(d, "NVDA", [](const json_doc& j) { return !j.boolean("/stale"); });
    CHECK(fresh.raw("/price") == "121.00");
    CHECK(fresh.u64("/seq") > restored.u64("/seq"));
}

TEST_CASE("history survives a restart", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "100.00", "99.00");
    scratch_dir state;
    std::int64_t restart_ms = 0;
    {
        daemon_process d(config(m.up), with_state(state));
        const auto first = wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.00"; });
        wait_next_bucket(utc_ms(first.str("/received_at")));  // the next price goes into the next 1 s point
        yahoo(m, "100.50", "99.00");
        wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.50"; });
        REQUIRE(d.stop() == 0);
        restart_ms = unix_now() * 1000;
    }
    m.up.set_route(yahoo_path("NVDA"), hanging());
    daemon_process d(config(m.up), with_state(state));
    const json_doc h(http_get(d.port(), "/v1/history/NVDA?window=1h").body);
    INFO(h.text());
    REQUIRE(h.size("/points") >= 2);
    // The points of the first run, before the restart.
    CHECK(h.num("/points/0/0") < static_cast<double>(restart_ms));
    CHECK(h.raw("/points/0/1") == "100.00");
    CHECK(h.raw("/points/1/1") == "100.50");
}

TEST_CASE("the openerapi previous-day reference survives a restart", "[integration][state][openerapi]") {
    yahoo_coinbase_market m;
    yahoo(m, "100.00", "99.00");
    const std::int64_t today = unix_now() / 86400 * 86400;  // 00:00 UTC today
    const std::int64_t day1 = today - 86400 + 151;         // yesterday 00:02:31 UTC
    const std::int64_t day2 = today + 151;
    m.up.set_route("/v6/latest/USD", json_ok(openerapi_body("26000.5", day1)));
    scratch_dir state;
    {
        daemon_process d(config(m.up), with_state(state));
        REQUIRE(m.up.wait_for_requests("/v6/latest/USD", 2, 10s));
        // Day 1 alone gives no previous day: the rate has no reference and is not published.
        CHECK(http_get(d.port(), "/v1/quotes/USD/VND").status == 404);
        REQUIRE(d.stop() == 0);
    }
    const std::string saved = read_file_text(state.path() / "snapshot.json");
    INFO(saved);
    REQUIRE_THAT(saved, Catch::Contains("\"source\":\"openerapi:USD/VND\""));

    m.up.set_route("/v6/latest/USD", json_ok(openerapi_body("26260", day2)));
    daemon_process d(config(m.up), with_state(state));
    const auto q = wait_quote(d, "USD/VND", [](const json_doc& j) { return j.raw("/price") == "26260"; });
    CHECK(q.str("/source") == "openerapi");
    CHECK(q.raw("/ref_price") == "26001");  // 26000.5 at precision 0
    CHECK(q.raw("/change") == "260");         // 259.5, rounded half away from zero
    CHECK(q.raw("/change_pct") == "1.00");
    CHECK(q.str("/direction") == "up");
    CHECK(q.str("/as_of") == utc_text_ms(day2));
    CHECK_FALSE(q.boolean("/stale"));
}

TEST_CASE("kill -9 at random moments during saves never leaves a file that fails to load", "[integration][state]") {
    yahoo_coinbase_market m;
    scratch_dir state;
    std::mt19937 rng(20261128);
    std::uniform_int_distribution<int> run_ms(150, 600);
    int price_cents = 10'000;
    std::size_t restored_runs = 0;
    for (int i = 0; i < 20; ++i) {
        INFO("iteration " << i);
        yahoo(m, fmt::format("{}.{:02}", price_cents / 100, price_cents % 100), "99.00");
        daemon_process d(config(m.up), with_state(state));
        const std::string start_log = d.log_text();
        CHECK_THAT(start_log, !Catch::Contains("unreadable"));
        if (start_log.find("state: restored 1 quotes") != std::string::npos) ++restored_runs;
        // New prices keep the saver busy (a save every 100 ms) until the kill.
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms(rng));
        while (std::chrono::steady_clock::now() < until) {
            ++price_cents;
            yahoo(m, fmt::format("{}.{:02}", price_cents / 100, price_cents % 100), "99.00");
            std::this_thread::sleep_for(20ms);
        }
        d.signal(SIGKILL);
        REQUIRE(d.wait_exit(5s).has_value());
        CHECK_FALSE(has_corrupt_copy(state.path()));
    }
    // The file was written and loaded (restarts after the first saves serve the saved quote).
    CHECK(restored_runs >= 15);
    daemon_process last(config(m.up), with_state(state));
    CHECK_THAT(last.log_text(), Catch::Contains("state: restored 1 quotes"));
    CHECK_FALSE(has_corrupt_copy(state.path()));
}

TEST_CASE("a corrupt state file is moved aside and the daemon starts empty", "[integration][state]") {
    yahoo_coinbase_market m;
    m.up.set_route(yahoo_path("NVDA"), hanging());
    m.up.set_route("/v6/latest/USD", hanging());
    scratch_dir state;
    SECTION("garbage") {
        std::ofstream(state.path() / "snapshot.json") << "\x01\x02 not json at all";
    }
    SECTION("a real file cut short") {
        yahoo(m, "100.00", "99.00");
        {
            daemon_process d(config(m.up), with_state(state));
            wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.00"; });
            REQUIRE(d.stop() == 0);
        }
        m.up.set_route(yahoo_path("NVDA"), hanging());
        const std::string good = read_file_text(state.path() / "snapshot.json");
        REQUIRE(good.size() > 20);
        std::ofstream(state.path() / "snapshot.json", std::ios::trunc) << good.substr(0, good.size() / 2);
    }
    daemon_process d(config(m.up), with_state(state));
    const std::string log = d.log_text();
    CHECK_THAT(log, Catch::Contains("is unreadable") && Catch::Contains("moved to") && Catch::Contains("starting empty"));
    CHECK_THAT(log, Catch::Contains("error"));
    CHECK(has_corrupt_copy(state.path()));
    CHECK_FALSE(fs::exists(state.path() / "snapshot.json"));
    const json_doc snap(http_get(d.port(), "/v1/snapshot").body);
    CHECK(snap.size("/quotes") == 0);
}

TEST_CASE("an unusable state directory is a warning, not a failure", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "100.00", "99.00");
    scratch_dir tmp;
    const fs::path file = tmp.path() / "a-file";
    std::ofstream(file) << "x";
    // A directory below a regular file can never be created.
    daemon_process d(config(m.up, fmt::format("state_dir = \"{}\"", (file / "state").string())));
    wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.00"; });
    CHECK_THAT(d.log_text(), Catch::Contains("running without saved state"));
    CHECK(d.stop() == 0);
}

TEST_CASE("each test daemon gets its own fresh state directory", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "100.00", "99.00");
    daemon_process a(config(m.up));
    wait_quote(a, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.00"; });
    REQUIRE(a.stop() == 0);
    CHECK(a.state_dir().parent_path() == a.dir());
    CHECK(fs::exists(a.state_dir() / "snapshot.json"));
    m.up.set_route(yahoo_path("NVDA"), hanging());
    daemon_process b(config(m.up));
    CHECK(b.state_dir() != a.state_dir());
    CHECK_THAT(b.log_text(), Catch::Contains("no saved state"));
    CHECK(http_get(b.port(), "/v1/quotes/NVDA").status == 404);
}

TEST_CASE("a restored quote stays stale while a big move is held by the bad-tick filter", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "100.00", "99.00");
    scratch_dir state;
    {
        daemon_process d(config(m.up), with_state(state));
        wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "100.00"; });
        REQUIRE(d.stop() == 0);
    }
    // +50% while the daemon was down: more than the 20% equity limit, so held for one poll.
    yahoo(m, "150.00", "99.00");
    daemon_process d(config(m.up), with_state(state));
    bool old_price_fresh = false;
    const bool confirmed = eventually(
        [&] {
            const auto r = http_get(d.port(), "/v1/quotes/NVDA");
            if (r.status != 200) return false;
            const json_doc q(r.body);
            if (q.raw("/price") == "100.00" && !q.boolean("/stale")) old_price_fresh = true;
            return q.raw("/price") == "150.00" && !q.boolean("/stale");
        },
        10s, 5ms);
    INFO(d.log_tail());
    CHECK(confirmed);
    CHECK_FALSE(old_price_fresh);
    CHECK_THAT(d.log_text(), Catch::Contains("held until confirmed"));
}

namespace {

std::string usd_vnd_config(const fake_upstream& up) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"
state_save_interval = "100ms"

[[symbols]]
id = "USD/VND"
class = "fx"
currency = "VND"
precision = 0
sources = ["yahoo:VND=X", "openerapi:USD/VND"]
failover_after = 2
failback_after = 2
max_age = "1h"

[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"

[providers.openerapi]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
)",
                       up.base_url());
}

}  // namespace

TEST_CASE("USD/VND fails over from Yahoo to openerapi with a previous-close reference", "[integration][state][openerapi]") {
    yahoo_coinbase_market m;
    const std::int64_t today = unix_now() / 86400 * 86400;
    m.up.set_route("/v6/latest/USD", json_ok(openerapi_body("26230", today + 151)));
    scratch_dir state;
    SECTION("no previous-day rate yet: the reference Yahoo gave is kept") {
        m.up.set_route(yahoo_path("VND=X"), json_ok(yahoo_chart_body("VND=X", "26300", "26000", "VND", unix_now() - 5,
                                                                     today, today + 86400)));
        daemon_process d(usd_vnd_config(m.up), with_state(state));
        wait_quote(d, "USD/VND", [](const json_doc& j) { return j.str("/source") == "yahoo"; });
        m.up.set_route(yahoo_path("VND=X"), with_status(500, "{}"));
        const auto q = wait_quote(d, "USD/VND", [](const json_doc& j) { return j.str("/source") == "openerapi"; });
        CHECK(q.raw("/price") == "26230");
        CHECK(q.raw("/ref_price") == "26000");
    }
    SECTION("a saved previous-day rate is the reference") {
        std::ofstream(state.path() / "snapshot.json") << fmt::format(
            R"({{"version":1,"saved_at":0,"symbols":[],"day_references":[{{"source":"openerapi:USD/VND",)"
            R"("latest":{{"rate":"26100","as_of":{}}},"previous":null}}]}})",
            (today - 86400 + 151) * 1000);
        m.up.set_route(yahoo_path("VND=X"), with_status(500, "{}"));
        daemon_process d(usd_vnd_config(m.up), with_state(state));
        CHECK_THAT(d.log_text(), Catch::Contains("1 day references"));
        const auto q = wait_quote(d, "USD/VND", [](const json_doc& j) { return j.str("/source") == "openerapi"; });
        CHECK(q.raw("/price") == "26230");
        CHECK(q.raw("/ref_price") == "26100");
        CHECK(q.raw("/change_pct") == "0.50");
    }
}

// --- restored state and the config it meets (sources, currency, precision) ---

namespace {

// NVDA from the simulator: what config/demo.toml gives.
std::string sim_nvda_config() {
    return R"(
[server]
listen = "127.0.0.1:0"
state_save_interval = "100ms"

[history]
resolution = "1s"
retention = "1h"

[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
precision = 2
sources = ["sim"]
start_price = "120.00"
max_age = "1h"

[providers.sim]
interval = "50ms"
)";
}

// A sample value from GET /metrics, if the series is there.
std::optional<double> metric_value(std::uint16_t port, const std::string& series) {
    const std::string text = http_get(port, "/metrics").body;
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("a simulated quote and its history are not restored under a config without sim", "[integration][state]") {
    scratch_dir state;
    {
        daemon_process d(sim_nvda_config(), with_state(state));
        wait_quote(d, "NVDA", [](const json_doc& j) { return j.str("/source") == "sim"; });
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // at least two history points
        REQUIRE(d.stop() == 0);
    }
    yahoo_coinbase_market m;
    m.up.set_route(yahoo_path("NVDA"), with_status(500, "{}"));  // offline: nothing live to replace it
    daemon_process d(config(m.up), with_state(state));
    const auto q = http_get(d.port(), "/v1/quotes/NVDA");
    CHECK(q.status == 404);
    CHECK_THAT(q.body, Catch::Contains("no quote yet"));
    const json_doc hist(http_get(d.port(), "/v1/history/NVDA").body);
    CHECK(hist.size("/points") == 0);
    const json_doc snap(http_get(d.port(), "/v1/snapshot").body);
    CHECK(snap.size("/quotes") == 0);
    CHECK_THAT(d.log_text(), Catch::Contains("state: NVDA: saved quote and ") &&
                                 Catch::Contains("history points not restored: its source sim is not one of the "
                                                 "configured sources (yahoo)"));
    CHECK_THAT(d.log_text(), Catch::Contains("state: restored 0 quotes"));
    CHECK_FALSE(metric_value(d.port(), R"(tickerd_quote_age_seconds{symbol="NVDA"})"));
}

TEST_CASE("a saved quote is not restored when the symbol's currency or precision changed", "[integration][state]") {
    yahoo_coinbase_market m;
    yahoo(m, "120.50", "118.00");
    scratch_dir state;
    {
        daemon_process d(config(m.up), with_state(state));
        wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "120.50"; });
        REQUIRE(d.stop() == 0);
    }
    m.up.set_route(yahoo_path("NVDA"), with_status(500, "{}"));
    SECTION("currency") {
        std::string cfg = config(m.up);
        cfg.replace(cfg.find("currency = \"USD\""), 16, "currency = \"EUR\"");
        daemon_process d(cfg, with_state(state));
        CHECK(http_get(d.port(), "/v1/quotes/NVDA").status == 404);
        CHECK_THAT(d.log_text(), Catch::Contains("its currency USD is not the configured EUR"));
    }
    SECTION("precision") {
        std::string cfg = config(m.up);
        cfg.replace(cfg.find("precision = 2"), 13, "precision = 3");
        daemon_process d(cfg, with_state(state));
        CHECK(http_get(d.port(), "/v1/quotes/NVDA").status == 404);
        CHECK_THAT(d.log_text(), Catch::Contains("its precision 2 is not the configured 3"));
    }
    SECTION("neither: restored") {
        daemon_process d(config(m.up), with_state(state));
        CHECK(http_get(d.port(), "/v1/quotes/NVDA").status == 200);
        CHECK_THAT(d.log_text(), !Catch::Contains("not restored"));
    }
}

TEST_CASE("metrics of a restored quote: its age from received_at, its source active", "[integration][state][metrics]") {
    yahoo_coinbase_market m;
    yahoo(m, "120.50", "118.00");
    scratch_dir state;
    std::int64_t received_ms = 0;
    {
        daemon_process d(config(m.up), with_state(state));
        const auto q = wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "120.50"; });
        received_ms = utc_ms(q.str("/received_at"));
        REQUIRE(d.stop() == 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    // The restart puts finnhub first: the gate waits for it (its polls fail, too
    // few to fail over within the test), while the quote served is Yahoo's.
    m.up.set_route(yahoo_path("NVDA"), with_status(500, "{}"));
    std::string cfg = config(m.up);
    cfg.replace(cfg.find(R"(sources = ["yahoo:NVDA"])"), 24, R"(sources = ["finnhub:NVDA", "yahoo:NVDA"]
failover_after = 1000)");
    scratch_dir keys;
    { std::ofstream(keys.path() / "finnhub") << "test-key\n"; }
    cfg += fmt::format(R"(
[providers.finnhub]
base_url = "{}"
interval = "1h"
timeout = "1s"
api_key_file = "{}"
)",
                       m.up.base_url(), (keys.path() / "finnhub").string());
    daemon_options o = with_state(state);
    daemon_process d(cfg, o);
    const auto q = json_doc(http_get(d.port(), "/v1/quotes/NVDA").body);
    REQUIRE(q.str("/source") == "yahoo");
    const auto age = metric_value(d.port(), R"(tickerd_quote_age_seconds{symbol="NVDA"})");
    REQUIRE(age);
    const double expected = static_cast<double>(unix_now() * 1000 - received_ms) / 1000.0;
    CHECK(*age >= 1.0);
    CHECK(*age <= expected + 2.0);
    CHECK(metric_value(d.port(), R"(tickerd_active_source{symbol="NVDA",provider="yahoo"})") == 1.0);
    CHECK(metric_value(d.port(), R"(tickerd_active_source{symbol="NVDA",provider="finnhub"})") == 0.0);
}

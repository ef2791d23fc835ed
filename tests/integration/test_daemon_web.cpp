// The real tickerd binary on loopback: the web side. Static files from a
// web_root, /v1/history, Server-Sent Events at /v1/events, /v1/openapi.json and
// CORS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;
namespace fs = std::filesystem;

namespace {

// --- helpers ------------------------------------------------------------------

// One request on its own connection (with `Connection: close`), any method,
// target sent verbatim; reads until the server closes. The body is every byte
// after the head, so a HEAD answer that carried a body would show it.
http_result http_call(std::uint16_t port, std::string_view method, std::string_view target,
                      const header_list& headers = {}, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error(fmt::format("connect to port {}: {}", port, std::strerror(errno)));

    std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: tickerd-integration-tests/1\r\n"
                                  "Connection: close\r\n",
                                  method, target, port);
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "\r\n";
    for (std::size_t sent = 0; sent < req.size();) {
        const auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }

    std::string text;
    char buf[8192];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            throw std::runtime_error(fmt::format("{} {}: the server did not finish within {} ms; got: {}", method,
                                                 target, timeout.count(), text));
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNRESET && !text.empty()) break;
            throw std::runtime_error(fmt::format("{} {}: recv: {}", method, target, std::strerror(errno)));
        }
        text.append(buf, static_cast<std::size_t>(n));
    }

    const auto head_end = text.find("\r\n\r\n");
    if (head_end == std::string::npos || !text.starts_with("HTTP/1.") || text.size() < 12)
        throw std::runtime_error(fmt::format("{} {}: not an HTTP response: {}", method, target, text));
    http_result out;
    out.status = static_cast<unsigned>(std::stoul(text.substr(9, 3)));
    std::size_t pos = text.find("\r\n") + 2;
    while (pos < head_end) {
        const auto eol = text.find("\r\n", pos);
        const std::string line = text.substr(pos, eol - pos);
        pos = eol + 2;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        out.headers.emplace_back(line.substr(0, colon), std::move(value));
    }
    out.body = text.substr(head_end + 4);
    return out;
}

// The body as JSON after checking status and content type.
json_doc get_json(std::uint16_t port, std::string_view target, unsigned expected_status = 200) {
    auto r = http_get(port, target);
    INFO("GET " << target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == expected_status);
    CHECK(r.header("Content-Type").starts_with("application/json"));
    return json_doc(r.body);
}

// Waits until /v1/snapshot holds `n` quotes.
void wait_ready(const daemon_process& d, std::size_t n) {
    std::string last;
    bool ok = eventually(
        [&] {
            auto r = http_get(d.port(), "/v1/snapshot");
            last = r.body;
            return r.status == 200 && json_doc(r.body).size("/quotes") == n;
        },
        10s);
    INFO("last /v1/snapshot: " << last);
    REQUIRE(ok);
}

using market = yahoo_coinbase_market;

// NVDA (Yahoo) and BTC (Coinbase), polled every 200 ms.
std::string market_config(const fake_upstream& up, std::string_view server_extra = "", std::string_view rest = "") {
    return yahoo_coinbase_config(up, server_extra, "", rest);
}

std::string quote_price(const daemon_process& d, std::string_view id) {
    auto r = http_get(d.port(), fmt::format("/v1/quotes/{}", id));
    return r.status == 200 ? json_doc(r.body).raw("/price") : std::string("<none>");
}

// Checks that an SSE event is `type` and that its id is the seq of its data; returns the data.
json_doc event_data(const sse_event& e, std::string_view type) {
    INFO("event: " << e.event << " / id: " << e.id << " / data: " << e.data);
    CHECK(e.event == type);
    json_doc j(e.data);
    CHECK(j.str("/type") == type);
    CHECK(e.id == std::to_string(j.u64("/seq")));
    return j;
}

// The next event that is not a heartbeat.
sse_event next_non_heartbeat(sse_client& c, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("no SSE event other than heartbeats in time");
        sse_event e = c.next(left);
        if (e.event != "heartbeat") return e;
    }
}

std::uint64_t healthz_clients(const daemon_process& d) {
    return json_doc(http_get(d.port(), "/healthz").body).u64("/clients");
}

// A web root: index.html, app.js, style.css, a dotfile, a dot-directory, a
// subdirectory with its own index.html, and a v1/ directory that must never be
// reached. `outside.txt` sits next to the web root, not in it.
struct web_site {
    temp_dir tmp{"tickerd-web"};
    fs::path root = tmp.path / "www";
    const std::string index = "<!doctype html><title>tickerd</title><h1>Ticker</h1>\n";
    const std::string app = "import { connect } from './tickerd.js';\nconsole.log('app');\n";
    const std::string css = "body { font-family: sans-serif; color: #222; }\n";
    const std::string sub_index = "<!doctype html><title>sub</title><p>the sub page</p>\n";
    const std::string secret = "TOP-SECRET-dotfile-content\n";
    const std::string outside = "OUTSIDE-the-web-root\n";

    web_site() {
        write_file(root / "index.html", index);
        write_file(root / "app.js", app);
        write_file(root / "style.css", css);
        write_file(root / ".secret", secret);
        write_file(root / ".git" / "config", secret);
        write_file(root / "sub" / "index.html", sub_index);
        write_file(root / "v1" / "snapshot.txt", secret);
        write_file(root / "v1" / "leak.txt", secret);
        write_file(tmp.path / "outside.txt", outside);
    }
    std::string server_toml() const { return fmt::format("web_root = '{}'", root.string()); }
};

void check_json_404(const http_result& r, std::string_view what) {
    INFO(what << " -> " << r.status << " " << r.header("Content-Type") << " " << r.body);
    CHECK(r.status == 404);
    CHECK(r.header("Content-Type").starts_with("application/json"));
    if (r.header("Content-Type").starts_with("application/json")) CHECK_FALSE(json_doc(r.body).str("/error").empty());
}

}  // namespace

// --- static files ---------------------------------------------------------------

TEST_CASE("Static files from web_root: index.html for / and /dir/, content types, ETag, Last-Modified, HEAD",
          "[integration]") {
    web_site site;
    daemon_process d(quiet_sim_config(site.server_toml()));

    auto root = http_get(d.port(), "/");
    INFO(root.status << " " << root.body);
    REQUIRE(root.status == 200);
    CHECK(root.body == site.index);
    CHECK(root.header("Content-Type") == "text/html; charset=utf-8");
    const std::string etag = root.header("ETag");
    const std::string last_modified = root.header("Last-Modified");
    CHECK(etag.size() >= 3);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    CHECK(last_modified.size() == 29);
    CHECK(last_modified.ends_with(" GMT"));

    auto index = http_get(d.port(), "/index.html");
    CHECK(index.status == 200);
    CHECK(index.body == site.index);
    CHECK(index.header("ETag") == etag);
    CHECK(index.header("Last-Modified") == last_modified);

    struct expected {
        std::string target, body, content_type;
    };
    for (const auto& e : {expected{"/app.js", site.app, "text/javascript"}, expected{"/style.css", site.css, "text/css"},
                          expected{"/sub/", site.sub_index, "text/html"},
                          expected{"/sub/index.html", site.sub_index, "text/html"},
                          expected{"/app.js?v=3", site.app, "text/javascript"}}) {
        auto r = http_get(d.port(), e.target);
        INFO(e.target << " -> " << r.status << " " << r.header("Content-Type"));
        CHECK(r.status == 200);
        CHECK(r.body == e.body);
        CHECK(r.header("Content-Type").starts_with(e.content_type));
        CHECK_FALSE(r.header("ETag").empty());
        CHECK(r.header("ETag") != etag);  // the ETag follows the content
        CHECK_FALSE(r.header("Last-Modified").empty());
        CHECK(r.header("Access-Control-Allow-Origin") == "*");
    }

    SECTION("HEAD: the GET's headers, no body") {
        auto get = http_call(d.port(), "GET", "/app.js");
        auto head = http_call(d.port(), "HEAD", "/app.js");
        INFO(head.status << " body: '" << head.body << "'");
        CHECK(get.status == 200);
        CHECK(get.body == site.app);
        CHECK(head.status == 200);
        CHECK(head.body.empty());
        CHECK(head.header("Content-Length") == std::to_string(site.app.size()));
        CHECK(head.header("Content-Type") == get.header("Content-Type"));
        CHECK(head.header("ETag") == get.header("ETag"));
        CHECK(head.header("Last-Modified") == get.header("Last-Modified"));

        auto head_root = http_call(d.port(), "HEAD", "/");
        CHECK(head_root.status == 200);
        CHECK(head_root.body.empty());
        CHECK(head_root.header("Content-Length") == std::to_string(site.index.size()));
    }
    SECTION("If-None-Match with the ETag: 304 without a body") {
        auto r = http_get(d.port(), "/", {{"If-None-Match", etag}});
        INFO(r.status << " " << r.body);
        CHECK(r.status == 304);
        CHECK(r.body.empty());
        CHECK(r.header("ETag") == etag);
        // Among several tags, and for the same file under its own name.
        CHECK(http_get(d.port(), "/", {{"If-None-Match", "\"0000000000000000\", " + etag}}).status == 304);
        CHECK(http_get(d.port(), "/index.html", {{"If-None-Match", etag}}).status == 304);
    }
    SECTION("If-None-Match with another ETag: 200 with the body") {
        auto r = http_get(d.port(), "/", {{"If-None-Match", "\"not-this-one\""}});
        CHECK(r.status == 200);
        CHECK(r.body == site.index);
        // The ETag of another file does not match either.
        const std::string js_etag = http_get(d.port(), "/app.js").header("ETag");
        auto other = http_get(d.port(), "/", {{"If-None-Match", js_etag}});
        CHECK(other.status == 200);
        CHECK(other.body == site.index);
    }
    SECTION("If-Modified-Since with the Last-Modified value: 304") {
        auto r = http_get(d.port(), "/", {{"If-Modified-Since", last_modified}});
        INFO(r.status << " " << r.body);
        CHECK(r.status == 304);
        CHECK(r.body.empty());
        auto old = http_get(d.port(), "/", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}});
        CHECK(old.status == 200);
        CHECK(old.body == site.index);
    }
}

TEST_CASE("Static files: dotfiles, traversal attempts, unknown files and /v1/ paths are 404, the daemon stays healthy",
          "[integration]") {
    web_site site;
    daemon_process d(quiet_sim_config(site.server_toml()));
    REQUIRE(http_get(d.port(), "/").status == 200);

    for (const char* target : {"/.secret", "/.git/config", "/sub/.secret", "/%2esecret"}) {
        auto r = http_get(d.port(), target);
        check_json_404(r, target);
        CHECK(r.body.find("TOP-SECRET") == std::string::npos);
    }

    for (const char* target : {"/../CMakeLists.txt", "/%2e%2e/%2e%2e/etc/passwd", "/sub/../../x", "//etc/passwd",
                               "/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt", "/..%2foutside.txt",
                               "/sub/../../outside.txt", "/sub/%2e%2e/%2e%2e/outside.txt", "/../../../../etc/passwd",
                               "/..", "/sub/..", "//outside.txt"}) {
        auto r = http_get(d.port(), target);
        check_json_404(r, target);
        CHECK(r.body.find("OUTSIDE") == std::string::npos);
        CHECK(r.body.find("root:") == std::string::npos);
        CHECK(r.body.find("cmake_minimum_required") == std::string::npos);
    }

    // Not in the web root, and nothing under /v1/ falls through to files (www/v1/leak.txt exists).
    check_json_404(http_get(d.port(), "/nope.html"), "/nope.html");
    check_json_404(http_get(d.port(), "/sub/nope/"), "/sub/nope/");
    for (const char* target : {"/v1/leak.txt", "/v1/snapshot.txt", "/v1/", "/v1/nope", "/%761/leak.txt"}) {
        auto r = http_get(d.port(), target);
        check_json_404(r, target);
        CHECK(r.body.find("TOP-SECRET") == std::string::npos);
    }

    CHECK(http_get(d.port(), "/healthz").status == 200);
    auto again = http_get(d.port(), "/");
    CHECK(again.status == 200);
    CHECK(again.body == site.index);
    CHECK(http_get(d.port(), "/v1/snapshot").status == 200);
}

TEST_CASE("Static files are read at start: later changes on disk are not served", "[integration]") {
    web_site site;
    daemon_process d(quiet_sim_config(site.server_toml()));
    auto before = http_get(d.port(), "/app.js");
    REQUIRE(before.status == 200);
    REQUIRE(before.body == site.app);

    write_file(site.root / "app.js", "console.log('changed on disk');\n");
    write_file(site.root / "new.js", "console.log('new');\n");

    auto after = http_get(d.port(), "/app.js");
    CHECK(after.status == 200);
    CHECK(after.body == site.app);
    CHECK(after.header("ETag") == before.header("ETag"));
    check_json_404(http_get(d.port(), "/new.js"), "/new.js");
}

TEST_CASE("A missing web_root does not stop the daemon, / is 404 and the API works", "[integration]") {
    temp_dir tmp("tickerd-web");
    daemon_process d(quiet_sim_config(fmt::format("web_root = '{}'", (tmp.path / "does-not-exist").string())));
    check_json_404(http_get(d.port(), "/"), "/");
    check_json_404(http_get(d.port(), "/index.html"), "/index.html");
    CHECK(http_get(d.port(), "/healthz").status == 200);
    wait_ready(d, 1);
    CHECK(http_get(d.port(), "/v1/quotes/DEMO").status == 200);
    CHECK(d.running());
}

// --- history --------------------------------------------------------------------

TEST_CASE("GET /v1/history/{id}: one point per resolution bucket holding the last price seen in it",
          "[integration]") {
    market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "", "[history]\nresolution = \"1s\"\nretention = \"1h\"\n"));
    wait_ready(d, 2);

    // Every price the store took, with its received_at (the time history files it under).
    struct seen_price {
        std::int64_t received_ms;
        std::string price;
    };
    std::vector<seen_price> seen;
    auto observe = [&](const std::string& price) {
        std::string last;
        const bool ok = eventually(
            [&] {
                auto r = http_get(d.port(), "/v1/quotes/NVDA");
                last = r.body;
                return r.status == 200 && json_doc(r.body).raw("/price") == price;
            },
            10s);
        INFO("waiting for NVDA " << price << ", last: " << last);
        REQUIRE(ok);
        seen.push_back({utc_ms(json_doc(last).str("/received_at")), price});
    };
    auto set_price = [&](const std::string& price) {
        m.yahoo("NVDA", price, "99.00");
        observe(price);
    };

    // The next change lands in a later bucket than the last one seen.
    auto next_bucket = [&] { wait_next_bucket(seen.back().received_ms); };

    observe("100.00");
    set_price("100.25");
    next_bucket();
    set_price("101.50");
    set_price("101.75");
    next_bucket();
    set_price("99.10");
    next_bucket();
    set_price("102.00");
    set_price("102.40");

    // What the history must hold: per 1 s bucket, the last price received in it.
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (const auto& s : seen) {
        const std::int64_t bucket = s.received_ms / 1000 * 1000;
        if (!expected.empty() && expected.back().first == bucket) {
            expected.back().second = s.price;
        } else {
            REQUIRE((expected.empty() || expected.back().first < bucket));
            expected.emplace_back(bucket, s.price);
        }
    }
    REQUIRE(expected.size() >= 4);

    const std::string latest = quote_price(d, "NVDA");
    REQUIRE(latest == "102.40");
    for (const char* window : {"1h", "6h", "1d", ""}) {
        const std::string target =
            *window ? fmt::format("/v1/history/NVDA?window={}", window) : std::string("/v1/history/NVDA");
        json_doc h = get_json(d.port(), target);
        INFO(target << " -> " << h.text());
        std::string expected_text;
        for (const auto& [t, p] : expected) expected_text += fmt::format("[{},{}]", t, p);
        INFO("expected points: " << expected_text);
        CHECK(h.str("/symbol") == "NVDA");
        CHECK(h.str("/window") == (*window ? window : "1d"));
        CHECK(h.u64("/resolution_s") == 1);
        // The recorded changes, then (when the query falls in a later bucket) the
        // current price once more at the current bucket: the series ends at now.
        const std::size_t n = h.size("/points");
        REQUIRE(n >= expected.size());
        REQUIRE(n <= expected.size() + 1);
        std::int64_t prev = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const std::string at = fmt::format("/points/{}", i);
            REQUIRE(h.size(at) == 2);
            const auto t = static_cast<std::int64_t>(h.u64(at + "/0"));
            CHECK(t > prev);  // increasing in time
            CHECK(t % 1000 == 0);  // bucket start
            CHECK(t == expected[i].first);
            CHECK(h.raw(at + "/1") == expected[i].second);  // printed with the symbol's precision
            prev = t;
        }
        if (n > expected.size()) {
            CHECK(static_cast<std::int64_t>(h.u64(fmt::format("/points/{}/0", n - 1))) > prev);
        }
        CHECK(h.raw(fmt::format("/points/{}/1", n - 1)) == latest);
    }

    // BTC got one price: one point, plus the same price at the current bucket once time has moved on.
    json_doc btc = get_json(d.port(), "/v1/history/BTC?window=1h");
    INFO(btc.text());
    REQUIRE(btc.size("/points") >= 1);
    REQUIRE(btc.size("/points") <= 2);
    for (std::size_t i = 0; i < btc.size("/points"); ++i) CHECK(btc.raw(fmt::format("/points/{}/1", i)) == "71420.00");
}

TEST_CASE("GET /v1/history/{id}: 400 for an unsupported window, 404 for an unknown id", "[integration]") {
    market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "", "[history]\nresolution = \"1s\"\n"));
    wait_ready(d, 2);

    for (const char* target : {"/v1/history/NVDA?window=2d", "/v1/history/NVDA?window=1w", "/v1/history/NVDA?window=1H"}) {
        json_doc j = get_json(d.port(), target, 400);
        CHECK_FALSE(j.str("/error").empty());
    }
    for (const char* target : {"/v1/history/NOPE", "/v1/history/NOPE?window=1h", "/v1/history/nvda"}) {
        json_doc j = get_json(d.port(), target, 404);
        CHECK_FALSE(j.str("/error").empty());
    }
    json_doc ok = get_json(d.port(), "/v1/history/NVDA?window=6h");
    CHECK(ok.str("/window") == "6h");
    CHECK(ok.size("/points") >= 1);
}

TEST_CASE("With the sim provider, history starts with a simulated past ending at the start price", "[integration]") {
    std::int64_t res_ms = 0;
    std::size_t n = 0;  // retention / resolution
    std::string history_toml;
    SECTION("the defaults: resolution 1m, retention 24h") {
        res_ms = 60'000;
        n = 1440;
    }
    SECTION("[history] resolution 30s, retention 2h") {
        res_ms = 30'000;
        n = 240;
        history_toml = "[history]\nresolution = \"30s\"\nretention = \"2h\"\n";
    }
    const std::int64_t start_ms = unix_now_ms();
    daemon_process d(quiet_sim_config("", history_toml));
    wait_ready(d, 1);
    const json_doc quote = get_json(d.port(), "/v1/quotes/DEMO");
    REQUIRE(quote.raw("/price") == "1284.30");
    const std::int64_t live_bucket = utc_ms(quote.str("/received_at")) / res_ms * res_ms;

    // Every point: ?points= above the series' length (the default downsamples to 120). A series
    // ends at the bucket of the request (the current price carried forward), so the day and the
    // shorter windows are fetched within one bucket: again if the clock crossed a boundary meanwhile.
    std::vector<json_doc> got;
    std::int64_t request_bucket = 0;
    std::int64_t now_ms = 0;
    for (int attempt = 1;; ++attempt) {
        const std::int64_t before = unix_now_ms() / res_ms;
        got.clear();
        for (const char* window : {"1d", "1h", "6h"}) {
            got.push_back(get_json(d.port(), fmt::format("/v1/history/DEMO?window={}&points=100000", window)));
        }
        now_ms = unix_now_ms();
        if (now_ms / res_ms == before) {
            request_bucket = before * res_ms;
            break;
        }
        REQUIRE(attempt < 3);
    }
    const json_doc& day = got[0];
    INFO(day.text().substr(0, 400) << " …");
    CHECK(day.str("/symbol") == "DEMO");
    CHECK(day.str("/window") == "1d");
    CHECK(day.u64("/resolution_s") == static_cast<std::uint64_t>(res_ms / 1000));
    const std::size_t count = day.size("/points");
    CHECK(count >= n - 1);  // the oldest bucket may start just before the window
    CHECK(count <= n + 1);  // plus the live start price
    REQUIRE(count >= 3);

    std::vector<std::int64_t> times;
    std::set<std::string> prices;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string at = fmt::format("/points/{}", i);
        times.push_back(static_cast<std::int64_t>(day.u64(at + "/0")));
        const std::string p = day.raw(at + "/1");
        prices.insert(p);
        const double v = day.num(at + "/1");
        CHECK(v > 1284.30 / 2);
        CHECK(v < 1284.30 * 2);
        const auto dot = p.find('.');
        CHECK((dot != std::string::npos && p.size() - dot - 1 == 2));
    }
    std::size_t off_grid = 0, gaps = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (times[i] % res_ms != 0) ++off_grid;
        if (i > 0 && i + 1 < count && times[i] - times[i - 1] != res_ms) ++gaps;  // one point per bucket, no holes
    }
    CHECK(off_grid == 0);
    CHECK(gaps == 0);
    CHECK(times[count - 1] > times[count - 2]);
    CHECK(times[count - 1] - times[count - 2] <= 2 * res_ms);
    CHECK(times.front() >= start_ms / res_ms * res_ms - static_cast<std::int64_t>(n) * res_ms);
    CHECK(times.front() >= now_ms - 24 * 3'600'000 - res_ms);
    CHECK(times.back() == std::max(live_bucket, request_bucket));
    CHECK(times.back() <= now_ms);
    // The simulated past ends at the start price, which is also the live price.
    CHECK(day.raw(fmt::format("/points/{}/1", count - 2)) == "1284.30");
    CHECK(day.raw(fmt::format("/points/{}/1", count - 1)) == "1284.30");
    CHECK(prices.size() >= n / 20);  // a walk, not a flat line

    // Shorter windows: the most recent part of the same series.
    auto check_window = [&](const json_doc& w, const char* window, std::int64_t span_ms) {
        const std::size_t c = w.size("/points");
        const auto buckets = static_cast<std::size_t>(std::min<std::int64_t>(span_ms, static_cast<std::int64_t>(n) * res_ms) / res_ms);
        INFO("window " << window << ": " << c << " points, about " << buckets << " expected");
        CHECK(w.str("/window") == window);
        CHECK(c + 1 >= buckets);
        CHECK(c <= buckets + 2);
        if (c > 0 && c <= count) {
            CHECK(w.u64("/points/0/0") == static_cast<std::uint64_t>(times[count - c]));
            CHECK(w.u64(fmt::format("/points/{}/0", c - 1)) == static_cast<std::uint64_t>(times.back()));
        }
    };
    check_window(got[1], "1h", 3'600'000);
    check_window(got[2], "6h", 6 * 3'600'000);
}

// --- Server-Sent Events ------------------------------------------------------------

TEST_CASE("GET /v1/events: retry, a snapshot, then updates whose data equals the WebSocket messages",
          "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "heartbeat_interval = \"30s\""));
    wait_ready(d, 2);

    ws_client ws;
    ws.connect(d.port(), "/v1/stream");
    const std::string ws_snapshot = ws.read_json(5s);

    sse_client sse;
    REQUIRE(sse.connect(d.port(), "/v1/events") == 200);
    const http_result& head = sse.response();
    CHECK(head.header("Content-Type") == "text/event-stream; charset=utf-8");
    CHECK(head.header("Access-Control-Allow-Origin") == "*");
    CHECK(head.header("Access-Control-Expose-Headers") == "ETag");

    const sse_event snap = sse.next(5s);
    CHECK(sse.retry().value_or(0) == 2000);
    CHECK(sse.raw().starts_with("retry: 2000\n\n"));
    json_doc sj = event_data(snap, "snapshot");
    INFO(snap.data);
    CHECK_FALSE(sj.has("/since"));
    CHECK(sj.symbols() == std::vector<std::string>{"NVDA", "BTC"});
    CHECK(sj.raw("/quotes/0/price") == "1284.30");
    CHECK(sj.raw("/quotes/1/price") == "71420.00");
    // Nothing changed between the two: the very same snapshot.
    CHECK(json_doc(ws_snapshot).u64("/seq") == sj.u64("/seq"));
    CHECK(snap.data == ws_snapshot);

    m.yahoo("NVDA", "1290.55", "1266.32");
    const std::string ws_update = ws.read_json(5s);
    const sse_event up = sse.next(5s);
    json_doc uj = event_data(up, "update");
    INFO(up.data);
    CHECK(up.data == ws_update);
    CHECK(uj.u64("/seq") > sj.u64("/seq"));
    REQUIRE(uj.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(uj.raw("/quotes/0/price") == "1290.55");
    CHECK(uj.raw("/quotes/0/change") == "24.23");

    m.coinbase("71999.99", "70825.07");
    const std::string ws_btc = ws.read_json(5s);
    const sse_event btc = sse.next(5s);
    json_doc bj = event_data(btc, "update");
    CHECK(btc.data == ws_btc);
    CHECK(bj.u64("/seq") > uj.u64("/seq"));
    CHECK(bj.symbols() == std::vector<std::string>{"BTC"});

    // The bytes on the wire, exactly.
    std::string wire = "retry: 2000\n\n";
    for (const sse_event* e : {&snap, &up, &btc})
        wire += fmt::format("event: {}\nid: {}\ndata: {}\n\n", e->event, e->id, e->data);
    CHECK(sse.raw() == wire);
    CHECK_FALSE(sse.closed());
}

TEST_CASE("GET /v1/events?symbols= filters, an unknown symbol is 400 JSON before any stream", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "heartbeat_interval = \"30s\""));
    wait_ready(d, 2);

    SECTION("only BTC") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), "/v1/events?symbols=BTC") == 200);
        json_doc snap = event_data(sse.next(5s), "snapshot");
        CHECK(snap.symbols() == std::vector<std::string>{"BTC"});

        // NVDA changes first, unseen by this client; then BTC.
        m.yahoo("NVDA", "1300.00", "1266.32");
        REQUIRE(eventually([&] { return quote_price(d, "NVDA") == "1300.00"; }, 10s));
        m.coinbase("71999.99", "70825.07");
        const sse_event e = next_non_heartbeat(sse);
        json_doc j = event_data(e, "update");
        INFO(e.data);
        CHECK(j.symbols() == std::vector<std::string>{"BTC"});
        CHECK(j.raw("/quotes/0/price") == "71999.99");
        CHECK(sse.queued() == 0);
    }
    SECTION("an unknown symbol") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), "/v1/events?symbols=NVDA,NOPE") == 400);
        const http_result& r = sse.response();
        INFO(r.body);
        CHECK(r.header("Content-Type").starts_with("application/json"));
        CHECK(json_doc(r.body).str("/error").find("NOPE") != std::string::npos);
        CHECK(r.header("Access-Control-Allow-Origin") == "*");
        CHECK(sse.raw().empty());
    }
}

TEST_CASE("GET /v1/events resumes from Last-Event-ID (or ?since=) with the changes after it", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "heartbeat_interval = \"30s\""));
    wait_ready(d, 2);

    std::uint64_t seq0 = 0, seq1 = 0;
    std::string id0, id1;
    {
        sse_client first;
        REQUIRE(first.connect(d.port(), "/v1/events") == 200);
        const sse_event snap = first.next(5s);
        seq0 = event_data(snap, "snapshot").u64("/seq");
        id0 = snap.id;
        m.yahoo("NVDA", "1290.55", "1266.32");
        const sse_event up = next_non_heartbeat(first);
        seq1 = event_data(up, "update").u64("/seq");
        id1 = up.id;
        REQUIRE(seq1 > seq0);
        first.disconnect();
    }

    SECTION("Last-Event-ID of the snapshot: just the quote changed since") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), "/v1/events", {{"Last-Event-ID", id0}}) == 200);
        const sse_event e = sse.next(5s);
        json_doc j = event_data(e, "snapshot");
        INFO(e.data);
        CHECK(j.u64("/since") == seq0);
        CHECK(j.u64("/seq") >= seq1);
        CHECK(j.symbols() == std::vector<std::string>{"NVDA"});
        CHECK(j.raw("/quotes/0/price") == "1290.55");

        // And the stream goes on.
        m.coinbase("71999.99", "70825.07");
        json_doc b = event_data(next_non_heartbeat(sse), "update");
        CHECK(b.symbols() == std::vector<std::string>{"BTC"});
        CHECK(b.u64("/seq") > seq1);
    }
    SECTION("Last-Event-ID of the latest update: nothing to resend") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), "/v1/events", {{"Last-Event-ID", id1}}) == 200);
        const sse_event e = sse.next(5s);
        json_doc j = event_data(e, "snapshot");
        INFO(e.data);
        CHECK(j.u64("/since") == seq1);
        CHECK(j.size("/quotes") == 0);
    }
    SECTION("?since= in the query works the same") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), fmt::format("/v1/events?since={}", seq0)) == 200);
        json_doc j = event_data(sse.next(5s), "snapshot");
        INFO(j.text());
        CHECK(j.u64("/since") == seq0);
        CHECK(j.symbols() == std::vector<std::string>{"NVDA"});
    }
    SECTION("Last-Event-ID with a symbol filter") {
        sse_client sse;
        REQUIRE(sse.connect(d.port(), "/v1/events?symbols=BTC", {{"Last-Event-ID", id0}}) == 200);
        json_doc j = event_data(sse.next(5s), "snapshot");
        INFO(j.text());
        CHECK(j.u64("/since") == seq0);
        CHECK(j.size("/quotes") == 0);  // BTC has not changed since
    }
}

TEST_CASE("GET /v1/events sends heartbeat events every heartbeat_interval on a quiet stream", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    constexpr auto interval = 1000ms;
    daemon_process d(market_config(m.up, "heartbeat_interval = \"1s\""));
    wait_ready(d, 2);

    sse_client sse;
    REQUIRE(sse.connect(d.port(), "/v1/events") == 200);
    const std::uint64_t seq0 = event_data(sse.next(5s), "snapshot").u64("/seq");
    auto last = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        const sse_event e = sse.next(3s);
        const auto now = std::chrono::steady_clock::now();
        const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(now - last);
        last = now;
        INFO("heartbeat " << i << " came " << gap.count() << " ms after the previous event; data " << e.data);
        json_doc j = event_data(e, "heartbeat");
        CHECK(j.u64("/seq") == seq0);  // nothing changed
        CHECK(e.data == fmt::format("{{\"type\":\"heartbeat\",\"seq\":{}}}", seq0));
        // "after heartbeat_interval without any other message": about one interval, not two.
        CHECK(gap >= interval * 8 / 10);
        CHECK(gap <= interval * 3 / 2);
    }
}

TEST_CASE("An SSE client that disconnects does not disturb another one", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(market_config(m.up, "heartbeat_interval = \"30s\""));
    wait_ready(d, 2);

    sse_client a, b;
    REQUIRE(a.connect(d.port(), "/v1/events") == 200);
    REQUIRE(b.connect(d.port(), "/v1/events") == 200);
    const std::uint64_t seq_a = event_data(a.next(5s), "snapshot").u64("/seq");
    const std::uint64_t seq_b = event_data(b.next(5s), "snapshot").u64("/seq");
    CHECK(seq_a == seq_b);
    CHECK(eventually([&] { return healthz_clients(d) == 2; }, 5s));

    a.disconnect();
    CHECK(eventually([&] { return healthz_clients(d) == 1; }, 5s));

    m.yahoo("NVDA", "1290.55", "1266.32");
    json_doc u1 = event_data(next_non_heartbeat(b), "update");
    CHECK(u1.raw("/quotes/0/price") == "1290.55");

    // One more that goes away right after the head, without reading anything.
    {
        sse_client c;
        REQUIRE(c.connect(d.port(), "/v1/events") == 200);
        c.disconnect();
    }
    m.yahoo("NVDA", "1300.00", "1266.32");
    json_doc u2 = event_data(next_non_heartbeat(b), "update");
    CHECK(u2.raw("/quotes/0/price") == "1300.00");
    CHECK(u2.u64("/seq") > u1.u64("/seq"));
    CHECK(eventually([&] { return healthz_clients(d) == 1; }, 5s));
    CHECK(http_get(d.port(), "/healthz").status == 200);
    CHECK_FALSE(b.closed());
}

// --- CORS and OpenAPI ------------------------------------------------------------

TEST_CASE("OPTIONS preflight answers 204 with the CORS headers, every response allows any origin",
          "[integration]") {
    web_site site;
    daemon_process d(quiet_sim_config(site.server_toml()));
    wait_ready(d, 1);

    for (const char* target : {"/v1/snapshot", "/v1/events?symbols=DEMO", "/v1/history/DEMO?window=1h",
                               "/v1/quotes/DEMO", "/", "/app.js", "/no/such/path", "*"}) {
        auto r = http_call(d.port(), "OPTIONS", target,
                           {{"Origin", "https://example.com"},
                            {"Access-Control-Request-Method", "GET"},
                            {"Access-Control-Request-Headers", "if-none-match, last-event-id"}});
        INFO("OPTIONS " << target << " -> " << r.status << " " << r.body);
        CHECK(r.status == 204);
        CHECK(r.body.empty());
        CHECK(r.header("Access-Control-Allow-Origin") == "*");
        CHECK(r.header("Access-Control-Allow-Methods") == "GET, HEAD");
        CHECK(r.header("Access-Control-Allow-Headers") == "If-None-Match, If-Modified-Since, Last-Event-ID");
    }

    const header_list origin{{"Origin", "https://example.com"}};
    auto snap = http_get(d.port(), "/v1/snapshot", origin);
    REQUIRE(snap.status == 200);
    const std::string etag = snap.header("ETag");
    std::vector<std::pair<std::string, http_result>> answers;
    answers.emplace_back("GET /v1/snapshot", snap);
    answers.emplace_back("GET /v1/snapshot 304", http_get(d.port(), "/v1/snapshot", {{"If-None-Match", etag}}));
    answers.emplace_back("GET /v1/quotes/DEMO", http_get(d.port(), "/v1/quotes/DEMO", origin));
    answers.emplace_back("GET /v1/history/DEMO", http_get(d.port(), "/v1/history/DEMO", origin));
    answers.emplace_back("GET /v1/history/DEMO?window=2d", http_get(d.port(), "/v1/history/DEMO?window=2d", origin));
    answers.emplace_back("GET /v1/quotes/NOPE", http_get(d.port(), "/v1/quotes/NOPE", origin));
    answers.emplace_back("GET /healthz", http_get(d.port(), "/healthz", origin));
    answers.emplace_back("GET /", http_get(d.port(), "/", origin));
    answers.emplace_back("GET /nope.html", http_get(d.port(), "/nope.html", origin));
    answers.emplace_back("HEAD /app.js", http_call(d.port(), "HEAD", "/app.js", origin));
    answers.emplace_back("POST /v1/snapshot", http_call(d.port(), "POST", "/v1/snapshot", origin));
    const std::vector<unsigned> statuses{200, 304, 200, 200, 400, 404, 200, 200, 404, 200, 405};
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& [what, r] = answers[i];
        INFO(what << " -> " << r.status << " " << r.body);
        CHECK(r.status == statuses[i]);
        CHECK(r.header("Access-Control-Allow-Origin") == "*");
        CHECK(r.header("Access-Control-Expose-Headers") == "ETag");
    }
}

TEST_CASE("GET /v1/openapi.json serves the OpenAPI 3.1 document as JSON", "[integration]") {
    daemon_process d(quiet_sim_config());
    auto r = http_get(d.port(), "/v1/openapi.json");
    INFO(r.status << " " << r.header("Content-Type") << " " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Type").starts_with("application/json"));
    CHECK(r.header("Access-Control-Allow-Origin") == "*");
    json_doc doc(r.body);  // simdjson: throws when it does not parse
    REQUIRE(doc.has("/openapi"));
    CHECK(doc.str("/openapi").starts_with("3.1"));
    CHECK(doc.type("/info") == "object");
    CHECK_FALSE(doc.str("/info/title").empty());
    // The endpoints it documents ("~1" is "/" in a JSON pointer).
    for (const char* path : {"/paths/~1v1~1snapshot", "/paths/~1v1~1history~1{id}", "/paths/~1v1~1events",
                             "/paths/~1v1~1openapi.json"}) {
        INFO(path);
        CHECK(doc.has(path));
    }
}

// The real tickerd binary on loopback: light page views. /v1/history
// downsampled (?points=), its ETag, 304 and Cache-Control; gzip by
// Accept-Encoding (decoded here by python3's gzip module); versioned static
// URLs cached for good.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;
namespace fs = std::filesystem;

namespace {

void wait_quote(const daemon_process& d) {
    REQUIRE(eventually([&] { return http_get(d.port(), "/v1/quotes/DEMO").status == 200; }, 10s));
}

bool has_python3() { return std::system("command -v python3 >/dev/null 2>&1") == 0; }

// The bytes python3's gzip module decodes from `gz` (throws if it cannot).
std::string python_gunzip(const std::string& gz) {
    temp_dir tmp("tickerd-light");
    write_file(tmp.path / "body.gz", gz);
    const std::string command = fmt::format(
        "python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],\"rb\").read()))' '{}'",
        (tmp.path / "body.gz").string());
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("popen python3");
    std::string out;
    char buf[4096];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int status = ::pclose(p);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("python3 could not gunzip the body");
    return out;
}

bool vary_has_accept_encoding(const http_result& r) {
    return r.header("Vary").find("Accept-Encoding") != std::string::npos;
}

// The ETag a gzipped body carries: "X" -> "X-gz".
std::string gz_tag(const std::string& etag) { return etag.substr(0, etag.size() - 1) + "-gz\""; }

const header_list gzip_ok{{"Accept-Encoding", "gzip, deflate, br"}};

}  // namespace

// --- /v1/history ------------------------------------------------------------------

TEST_CASE("GET /v1/history/{id}?points=N: at most N points by LTTB, 120 by default, first and last kept",
          "[integration][history]") {
    daemon_process d(quiet_sim_config());
    wait_quote(d);
    // The whole series (more points asked for than there are) and the default, taken in the same bucket.
    std::string full_text;
    std::string def_text;
    REQUIRE(eventually(
        [&] {
            full_text = http_get(d.port(), "/v1/history/DEMO?points=100000").body;
            def_text = http_get(d.port(), "/v1/history/DEMO").body;
            const json_doc a(full_text), b(def_text);
            const std::size_t na = a.size("/points"), nb = b.size("/points");
            return a.raw(fmt::format("/points/{}/0", na - 1)) == b.raw(fmt::format("/points/{}/0", nb - 1));
        },
        10s));
    const json_doc full(full_text);
    const json_doc def(def_text);
    const std::size_t n = full.size("/points");
    INFO("full series: " << n << " points");
    REQUIRE(n >= 1400);  // a simulated day at one a minute
    CHECK(def.size("/points") == 120);
    // The same shape as before: symbol, window, resolution_s, points.
    CHECK(def.str("/symbol") == "DEMO");
    CHECK(def.str("/window") == "1d");
    CHECK(def.u64("/resolution_s") == 60);
    CHECK(def.size("") == 4);
    CHECK(def.raw("/points/0/0") == full.raw("/points/0/0"));
    CHECK(def.raw("/points/0/1") == full.raw("/points/0/1"));
    CHECK(def.raw("/points/119/0") == full.raw(fmt::format("/points/{}/0", n - 1)));
    CHECK(def.raw("/points/119/1") == full.raw(fmt::format("/points/{}/1", n - 1)));
    // Every kept point is one of the series, in order.
    double full_hi = 0, full_lo = 1e18, hi = 0, lo = 1e18;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = full.num(fmt::format("/points/{}/1", i));
        full_hi = std::max(full_hi, v);
        full_lo = std::min(full_lo, v);
    }
    std::size_t j = 0;
    for (std::size_t i = 0; i < 120; ++i) {
        const std::string t = def.raw(fmt::format("/points/{}/0", i));
        while (j < n && full.raw(fmt::format("/points/{}/0", j)) != t) ++j;
        REQUIRE(j < n);
        CHECK(def.raw(fmt::format("/points/{}/1", i)) == full.raw(fmt::format("/points/{}/1", j)));
        const double v = def.num(fmt::format("/points/{}/1", i));
        hi = std::max(hi, v);
        lo = std::min(lo, v);
    }
    // LTTB keeps the shape: the range drawn is (nearly all of) the series' range.
    CHECK(hi - lo >= 0.8 * (full_hi - full_lo));

    for (const unsigned k : {2u, 60u, 500u, 1439u}) {
        json_doc h(http_get(d.port(), fmt::format("/v1/history/DEMO?points={}", k)).body);
        CHECK(h.size("/points") == k);
    }
    // Windows still cut first: 1h holds about 60 points, fewer than the default.
    json_doc hour(http_get(d.port(), "/v1/history/DEMO?window=1h").body);
    CHECK(hour.size("/points") <= 62);
    CHECK(hour.size("/points") >= 59);
    CHECK(json_doc(http_get(d.port(), "/v1/history/DEMO?window=6h&points=60").body).size("/points") == 60);

    for (const char* bad : {"0", "1", "-5", "abc", "", "12x", "100001", "1e3", "99999999999999999999999"}) {
        auto r = http_get(d.port(), fmt::format("/v1/history/DEMO?points={}", bad));
        INFO("points=" << bad << " -> " << r.status << " " << r.body);
        CHECK(r.status == 400);
        CHECK(r.header("Content-Type").starts_with("application/json"));
        CHECK(json_doc(r.body).str("/error") == "points must be an integer from 2 to 100000");
    }
}

TEST_CASE("GET /v1/history/{id}: a strong ETag of the series, 304 on If-None-Match, max-age of the resolution",
          "[integration][history]") {
    daemon_process d(quiet_sim_config("", "[history]\nresolution = \"2s\"\nretention = \"10m\"\n"));
    wait_quote(d);
    auto first = http_get(d.port(), "/v1/history/DEMO");
    REQUIRE(first.status == 200);
    const std::string etag = first.header("ETag");
    REQUIRE(etag.size() > 2);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    CHECK(first.header("Cache-Control") == "public, max-age=2");

    // Within the same bucket the series is the same: 304, no body, the same ETag.
    auto again = http_get(d.port(), "/v1/history/DEMO", {{"If-None-Match", etag}});
    if (again.status == 200) {  // a bucket started in between: the ETag moved with it
        CHECK(again.header("ETag") != etag);
    } else {
        CHECK(again.status == 304);
        CHECK(again.body.empty());
        CHECK(again.header("ETag") == etag);
        CHECK(again.header("Cache-Control") == "public, max-age=2");
    }
    // Another tag, or another downsampling of the series: a 200 with its own tag.
    auto other = http_get(d.port(), "/v1/history/DEMO", {{"If-None-Match", "\"h0000000000000000\""}});
    CHECK(other.status == 200);
    CHECK_FALSE(other.body.empty());
    auto fewer = http_get(d.port(), "/v1/history/DEMO?points=3");
    CHECK(fewer.header("ETag") != http_get(d.port(), "/v1/history/DEMO?points=4").header("ETag"));

    // Time moves the series on (a new bucket holds the live price): the old tag no longer matches.
    std::string last;
    REQUIRE(eventually(
        [&] {
            auto r = http_get(d.port(), "/v1/history/DEMO", {{"If-None-Match", etag}});
            last = r.header("ETag");
            return r.status == 200 && last != etag && !r.body.empty();
        },
        6s));
    // Errors are not cached.
    auto bad = http_get(d.port(), "/v1/history/DEMO?points=1");
    CHECK(bad.status == 400);
    CHECK(bad.header("Cache-Control") == "no-cache");
    CHECK(bad.header("ETag").empty());
}

// --- gzip -------------------------------------------------------------------------

TEST_CASE("gzip when Accept-Encoding allows it: the same bytes once decoded, Vary, ETag per coding",
          "[integration][gzip]") {
    if (!has_python3()) {
        skip_missing_tool("python3", "Debian package python3; scripts/setup --test installs it");
        return;
    }
    temp_dir tmp("tickerd-light");
    std::string js = "// a module big enough to compress\n";
    for (int i = 0; i < 300; ++i) js += fmt::format("export const price{} = \"{}.{:02}\";\n", i, 1000 + i * 7, i % 100);
    write_file(tmp.path / "www" / "app.js", js);
    write_file(tmp.path / "www" / "index.html", "<!doctype html><title>t</title><script type=module src=\"app.js\"></script>\n");
    daemon_process d(quiet_sim_config(fmt::format("web_root = '{}'", (tmp.path / "www").string())));
    wait_quote(d);

    SECTION("a static file: gzipped once at load, decoded to the file") {
        auto plain = http_get(d.port(), "/app.js");
        auto gz = http_get(d.port(), "/app.js", gzip_ok);
        REQUIRE(plain.status == 200);
        REQUIRE(gz.status == 200);
        CHECK(plain.body == js);
        CHECK(plain.header("Content-Encoding").empty());
        CHECK(gz.header("Content-Encoding") == "gzip");
        CHECK(gz.body.size() < js.size() / 3);
        CHECK(python_gunzip(gz.body) == js);
        CHECK(vary_has_accept_encoding(plain));
        CHECK(vary_has_accept_encoding(gz));
        CHECK(gz.header("Content-Type") == plain.header("Content-Type"));
        CHECK(gz.header("ETag") == gz_tag(plain.header("ETag")));
        // Either tag revalidates the file; the 304 names the one the client holds.
        for (const auto& tag : {plain.header("ETag"), gz.header("ETag")}) {
            for (const bool accept : {false, true}) {
                header_list h{{"If-None-Match", tag}};
                if (accept) h.emplace_back("Accept-Encoding", "gzip");
                auto nm = http_get(d.port(), "/app.js", h);
                INFO(tag << " accept gzip " << accept);
                CHECK(nm.status == 304);
                CHECK(nm.body.empty());
                CHECK(nm.header("ETag") == tag);
            }
        }
    }
    SECTION("q-values: gzip;q=0 refuses it, * covers it") {
        for (const char* refuse : {"gzip;q=0", "identity", "br, gzip;q=0.0", "*;q=0", "deflate"}) {
            auto r = http_get(d.port(), "/app.js", {{"Accept-Encoding", refuse}});
            INFO(refuse);
            CHECK(r.header("Content-Encoding").empty());
            CHECK(r.body == js);
        }
        for (const char* accept : {"*", "gzip;q=0.1, br", "x-gzip"}) {
            auto r = http_get(d.port(), "/app.js", {{"Accept-Encoding", accept}});
            INFO(accept);
            CHECK(r.header("Content-Encoding") == "gzip");
            CHECK(python_gunzip(r.body) == js);
        }
    }
    SECTION("JSON: history and the OpenAPI document gzipped, small bodies and errors not") {
        for (const char* target : {"/v1/history/DEMO", "/v1/openapi.json"}) {
            // The same series in both codings: their tags say so (retry across a bucket edge).
            http_result plain, gz;
            REQUIRE(eventually(
                [&] {
                    plain = http_get(d.port(), target);
                    gz = http_get(d.port(), target, gzip_ok);
                    return plain.status == 200 && gz.status == 200 &&
                           (plain.header("ETag").empty() || gz.header("ETag") == gz_tag(plain.header("ETag")));
                },
                5s));
            INFO(target);
            CHECK(plain.body.size() >= 512);
            CHECK(gz.header("Content-Encoding") == "gzip");
            CHECK(gz.header("Content-Type").starts_with("application/json"));
            CHECK(vary_has_accept_encoding(gz));
            CHECK(gz.body.size() < plain.body.size());
            CHECK(python_gunzip(gz.body) == plain.body);
        }
        auto quote = http_get(d.port(), "/v1/quotes/DEMO", gzip_ok);
        CHECK(quote.status == 200);
        CHECK(quote.body.size() < 512);
        CHECK(quote.header("Content-Encoding").empty());
        CHECK(vary_has_accept_encoding(quote));
        auto err = http_get(d.port(), "/v1/history/NOPE", gzip_ok);
        CHECK(err.status == 404);
        CHECK(err.header("Content-Encoding").empty());
        CHECK(json_doc(err.body).str("/error") == "unknown symbol NOPE");
    }
    SECTION("the gzipped body's Content-Length frames it") {
        auto gz = http_get(d.port(), "/app.js", gzip_ok);
        REQUIRE(gz.header("Content-Encoding") == "gzip");
        CHECK(gz.header("Content-Length") == std::to_string(gz.body.size()));
    }
}

TEST_CASE("The unfiltered snapshot is gzipped once per seq, and revalidates in either coding", "[integration][gzip]") {
    if (!has_python3()) {
        skip_missing_tool("python3", "Debian package python3; scripts/setup --test installs it");
        return;
    }
    // Enough symbols for a snapshot above the gzip threshold.
    std::string symbols;
    for (int i = 0; i < 6; ++i) {
        symbols += fmt::format(R"(
[[symbols]]
id = "S{}"
name = "Symbol number {}"
class = "equity"
currency = "USD"
precision = 2
sources = ["sim"]
start_price = "{}.25"
)",
                               i, i, 100 + i);
    }
    daemon_process d(fmt::format("[server]\nlisten = \"127.0.0.1:0\"\n\n[providers.sim]\nseed = 3\ninterval = \"1h\"\n{}",
                                 symbols));
    REQUIRE(eventually([&] { return json_doc(http_get(d.port(), "/v1/snapshot").body).size("/quotes") == 6; }, 10s));
    auto plain = http_get(d.port(), "/v1/snapshot");
    auto gz = http_get(d.port(), "/v1/snapshot", gzip_ok);
    auto gz2 = http_get(d.port(), "/v1/snapshot", gzip_ok);
    REQUIRE(plain.body.size() >= 512);
    REQUIRE(gz.header("ETag") == gz_tag(plain.header("ETag")));  // the same seq (an hour between ticks)
    CHECK(gz.header("Content-Encoding") == "gzip");
    CHECK(gz2.body == gz.body);
    // The snapshot's generated_at is fixed per seq, so the bodies agree byte for byte.
    CHECK(python_gunzip(gz.body) == plain.body);
    CHECK(http_get(d.port(), "/v1/snapshot", {{"If-None-Match", gz.header("ETag")}}).status == 304);
    CHECK(http_get(d.port(), "/v1/snapshot", {{"If-None-Match", plain.header("ETag")}, {"Accept-Encoding", "gzip"}}).status == 304);
}

// --- versioned static URLs ------------------------------------------------------------

TEST_CASE("Pages name their assets with ?v=VERSION: that URL is immutable, any other is revalidated",
          "[integration][static]") {
    temp_dir tmp("tickerd-light");
    const fs::path root = tmp.path / "www";
    const std::string bar = "export const bar = 'the bundled bar';\n";
    const std::string css = "body { color: #123; }\n";
    write_file(root / "dist" / "bar.min.js", bar);
    write_file(root / "ticker.css", css);
    write_file(root / "index.html", "<!doctype html><link rel=\"stylesheet\" href=\"ticker.css\">"
                                    "<script type=\"module\" src=\"dist/bar.min.js\"></script>"
                                    "<a href=\"v1/snapshot\">api</a>\n");
    daemon_process d(quiet_sim_config(fmt::format("web_root = '{}'", root.string())));

    auto page = http_get(d.port(), "/");
    REQUIRE(page.status == 200);
    CHECK(page.header("Cache-Control") == "no-cache");
    const std::regex versioned(R"re(src="dist/bar\.min\.js\?v=([0-9a-f]{12})")re");
    const std::regex versioned_css(R"re(href="ticker\.css\?v=([0-9a-f]{12})")re");
    std::smatch m, mc;
    REQUIRE(std::regex_search(page.body, m, versioned));
    REQUIRE(std::regex_search(page.body, mc, versioned_css));
    CHECK(page.body.find("href=\"v1/snapshot\"") != std::string::npos);  // not a file: untouched
    const std::string v = m[1];
    CHECK(v != std::string(mc[1]));

    auto immutable = http_get(d.port(), "/dist/bar.min.js?v=" + v);
    CHECK(immutable.status == 200);
    CHECK(immutable.body == bar);
    CHECK(immutable.header("Cache-Control") == "public, max-age=31536000, immutable");
    CHECK(http_get(d.port(), "/ticker.css?v=" + std::string(mc[1])).header("Cache-Control") ==
          "public, max-age=31536000, immutable");

    for (const std::string& target : std::vector<std::string>{"/dist/bar.min.js", "/dist/bar.min.js?v=000000000000",
                                                              "/dist/bar.min.js?v=" + v + "0", "/ticker.css?v=" + v}) {
        auto r = http_get(d.port(), target);
        INFO(target);
        CHECK(r.status == 200);
        CHECK(r.header("Cache-Control") == "no-cache");
        const std::string etag = r.header("ETag");
        REQUIRE(etag.size() == 18);
        CHECK(etag.front() == '"');  // strong
        auto nm = http_get(d.port(), target, {{"If-None-Match", etag}});
        CHECK(nm.status == 304);
        CHECK(nm.body.empty());
    }
}

// The shipped Prometheus rules (packaging/prometheus/tickerd.rules.yml) and
// Grafana dashboard (packaging/grafana/tickerd.json) only use metric names and
// labels that the real daemon's /metrics exports, so they cannot rot when a
// metric is renamed.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

std::string source_file(const std::string& relative) {
    std::ifstream in(std::string(TICKERD_SOURCE_DIR) + "/" + relative);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::set<std::string> all_matches(const std::string& text, const std::regex& re, int group = 0) {
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.insert((*it)[group].str());
    return out;
}

// Sample names (histograms' _bucket/_sum/_count included) and label names in an exposition.
struct exported {
    std::set<std::string> names;
    std::set<std::string> labels;
};

exported read_exposition(const std::string& text) {
    exported e;
    std::istringstream lines(text);
    std::string line;
    static const std::regex label_re(R"(([a-z_]+)=")");
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        e.names.insert(line.substr(0, line.find_first_of("{ ")));
        const auto brace = line.find('{');
        if (brace != std::string::npos) {
            for (const auto& l : all_matches(line.substr(brace, line.find('}') - brace), label_re, 1)) e.labels.insert(l);
        }
    }
    return e;
}

}  // namespace

TEST_CASE("The Grafana dashboard is JSON with a query in every panel", "[integration][alerting]") {
    const json_doc dash(source_file("packaging/grafana/tickerd.json"));  // throws on invalid JSON
    CHECK(dash.str("/uid") == "tickerd");
    const std::size_t panels = dash.size("/panels");
    CHECK(panels >= 10);
    for (std::size_t i = 0; i < panels; ++i) {
        const std::string at = "/panels/" + std::to_string(i);
        INFO(dash.str(at + "/title"));
        CHECK(dash.size(at + "/targets") >= 1);
        CHECK_FALSE(dash.str(at + "/targets/0/expr").empty());
    }
}

TEST_CASE("Every metric and label the alert rules and the dashboard use is exported", "[integration][metrics][alerting]") {
    fake_upstream up;
    const auto now = unix_now();
    up.set_route(yahoo_path("NVDA"), json_ok(yahoo_chart_body("NVDA", "1284.3", "1266.32", "USD", now - 5, now - 3600,
                                                             now + 3600)));
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]

[providers.yahoo]
base_url = "{0}"
interval = "200ms"
min_spacing = "0ms"
)",
                                 up.base_url()));
    wait_quote(d, "NVDA", [](const json_doc& q) { return q.raw("/price") == "1284.30"; });
    const auto metrics = http_get(d.port(), "/metrics");
    REQUIRE(metrics.status == 200);
    const exported live = read_exposition(metrics.body);
    REQUIRE(live.names.count("tickerd_build_info") == 1);
    CHECK(live.names.count("tickerd_no_such_metric") == 0);  // the check can fail

    static const std::regex name_re(R"(\btickerd_[a-z][a-z0-9_]*)");
    // Labels grouped by or matched on; instance, job and le come from Prometheus or histograms.
    static const std::regex by_re(R"(\bby \(([^)]*)\))");
    static const std::regex matcher_re(R"(\b([a-z_]+)(=~|!=|=)\\?")");
    for (const char* file : {"packaging/prometheus/tickerd.rules.yml", "packaging/grafana/tickerd.json"}) {
        const std::string text = source_file(file);
        const auto names = all_matches(text, name_re);
        INFO(file << " uses " << names.size() << " tickerd_ names");
        CHECK(names.size() >= 3);
        for (const auto& name : names) {
            INFO(file << ": " << name);
            CHECK(live.names.count(name) == 1);
        }
        std::set<std::string> labels;
        for (const auto& list : all_matches(text, by_re, 1)) {
            static const std::regex word(R"([a-z_]+)");
            for (const auto& l : all_matches(list, word)) labels.insert(l);
        }
        for (const auto& l : all_matches(text, matcher_re, 1)) labels.insert(l);
        for (const auto& l : labels) {
            if (l == "instance" || l == "job" || l == "le") continue;
            INFO(file << ": label " << l);
            CHECK(live.labels.count(l) == 1);
        }
    }
}

// The cluster roles against real nats-server processes on loopback: a publisher
// polls the fake upstream and writes to JetStream, edges serve what they watch.
// Every test starts its own NATS server(s) with a fresh store dir.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/nats_server.hpp"
#include "support/skip.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

using steady = std::chrono::steady_clock;

// NVDA (Yahoo) and BTC (Coinbase) polled every 200 ms from the fake, in `role`.
std::string cluster_config(const yahoo_coinbase_market& m, std::string_view role, const std::vector<std::string>& servers,
                           std::string_view extra = "") {
    std::string list;
    for (const auto& s : servers) list += (list.empty() ? "\"" : ", \"") + s + "\"";
    return yahoo_coinbase_config(m.up, "", "",
                                 fmt::format("[cluster]\nrole = \"{}\"\nservers = [{}]\nlease_ttl = \"2s\"\n{}\n", role,
                                             list, extra));
}

std::string price_of(const daemon_process& d, std::string_view id) {
    const auto r = http_get(d.port(), "/v1/quotes/" + std::string(id));
    return r.status == 200 ? json_doc(r.body).raw("/price") : std::string("<none>");
}

// symbol -> "price@seq" of a daemon's /v1/snapshot, plus its top-level seq under "".
std::map<std::string, std::string> snapshot_of(const daemon_process& d) {
    const json_doc s(http_get(d.port(), "/v1/snapshot").body);
    std::map<std::string, std::string> out{{"", s.raw("/seq")}};
    for (std::size_t i = 0; i < s.size("/quotes"); ++i) {
        const std::string q = fmt::format("/quotes/{}", i);
        out[s.str(q + "/symbol")] = s.raw(q + "/price") + "@" + s.raw(q + "/seq");
    }
    return out;
}

// Reads a stream until an update carries `id` at `price`; returns that quote's seq.
std::uint64_t wait_update(ws_client& c, std::string_view id, std::string_view price, milliseconds timeout = 5s) {
    const auto deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
        const auto text = c.try_read(std::chrono::duration_cast<milliseconds>(deadline - steady::now()));
        if (!text) break;
        const json_doc m(*text);
        if (m.str("/type") != "update") continue;
        if (const auto at = m.find("/quotes", "symbol", id); at && m.raw(*at + "/price") == price) return m.u64(*at + "/seq");
    }
    FAIL("no update of " << id << " at " << price << " in time");
    return 0;
}

}  // namespace

TEST_CASE("cluster: a price polled by the publisher reaches the clients of both edges, which agree",
          "[integration][cluster]") {
    if (!have_nats_server()) return skip_missing_tool("nats-server", "apt-get install nats-server");
    nats_server nats;
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process pub(cluster_config(m, "publisher", {nats.url()}));
    daemon_process e1(cluster_config(m, "edge", {nats.url()}));
    daemon_process e2(cluster_config(m, "edge", {nats.url()}));
    wait_quote(e1, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.00"; });
    wait_quote(e2, "BTC", [](const json_doc& q) { return q.raw("/price") == "71420.00"; });

    ws_client c1, c2;
    c1.connect(e1.port(), "/v1/stream");
    c2.connect(e2.port(), "/v1/stream");
    CHECK(json_doc(c1.read_json(3s)).str("/type") == "snapshot");
    CHECK(json_doc(c2.read_json(3s)).str("/type") == "snapshot");
    const auto changed_at = steady::now();
    m.yahoo("NVDA", "101.50", "99.00");
    const std::uint64_t s1 = wait_update(c1, "NVDA", "101.50");
    const std::uint64_t s2 = wait_update(c2, "NVDA", "101.50");
    WARN("price change to both edges' clients in "
         << std::chrono::duration_cast<milliseconds>(steady::now() - changed_at).count() << " ms");
    CHECK(s1 == s2);  // one sequence across the cluster

    // Both edges' snapshots: the same prices with the same seqs, and the same seq overall.
    std::map<std::string, std::string> a, b;
    const bool same = eventually([&] {
        a = snapshot_of(e1);
        b = snapshot_of(e2);
        return a == b;
    }, 3s);
    INFO("edge 1: " << http_get(e1.port(), "/v1/snapshot").body << "\nedge 2: " << http_get(e2.port(), "/v1/snapshot").body);
    CHECK(same);
    CHECK(a["NVDA"] == fmt::format("101.50@{}", s1));
    CHECK(a.size() == 3);
    CHECK(http_get(e1.port(), "/readyz").status == 200);
    // The edges do not poll: no upstream request of theirs is counted (the publisher's are).
    const std::string polled_ok = R"(tickerd_upstream_requests_total{provider="yahoo",outcome="ok"})";
    auto requests = [&](const daemon_process& d) -> std::uint64_t {
        try {
            return metric_counter(d.port(), polled_ok);
        } catch (const std::runtime_error&) {
            return 0;  // no such sample: never polled
        }
    };
    CHECK(requests(e1) == 0);
    CHECK(requests(e2) == 0);
    CHECK(requests(pub) > 0);
    // Counted once the write is acknowledged, which may be after the edges have the entry.
    CHECK(eventually([&] { return metric_counter(pub.port(), "tickerd_cluster_entries_published_total") >= 3; }, 2s));
    CHECK(eventually([&] { return metric_counter(e1.port(), "tickerd_cluster_entries_applied_total") >= 3; }, 2s));
}

TEST_CASE("cluster: a stream resumed with ?since=N on the other edge gets exactly the quotes changed after N",
          "[integration][cluster]") {
    if (!have_nats_server()) return skip_missing_tool("nats-server", "apt-get install nats-server");
    nats_server nats;
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process pub(cluster_config(m, "publisher", {nats.url()}));
    daemon_process e1(cluster_config(m, "edge", {nats.url()}));
    daemon_process e2(cluster_config(m, "edge", {nats.url()}));
    wait_quote(e1, "BTC", [](const json_doc& q) { return q.raw("/price") == "71420.00"; });
    wait_quote(e2, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.00"; });

    // A page on edge 1 holds everything up to N...
    ws_client page;
    page.connect(e1.port(), "/v1/stream");
    const json_doc snap(page.read_json(3s));
    REQUIRE(snap.size("/quotes") == 2);
    const std::uint64_t n = snap.u64("/seq");
    // ...then NVDA changes twice and BTC once while it moves to edge 2.
    m.yahoo("NVDA", "100.50", "99.00");
    wait_update(page, "NVDA", "100.50");
    m.coinbase("71500.00", "70825.07");
    wait_update(page, "BTC", "71500.00");
    m.yahoo("NVDA", "100.75", "99.00");
    const std::uint64_t nvda_seq = wait_update(page, "NVDA", "100.75");
    wait_quote(e2, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.75"; });

    ws_client resumed;
    resumed.connect(e2.port(), fmt::format("/v1/stream?since={}", n));
    const json_doc r(resumed.read_json(3s));
    CHECK(r.str("/type") == "snapshot");
    CHECK(r.symbols() == std::vector<std::string>{"NVDA", "BTC"});
    CHECK(r.raw("/quotes/0/price") == "100.75");
    CHECK(r.u64("/quotes/0/seq") == nvda_seq);
    CHECK(r.raw("/quotes/1/price") == "71500.00");

    // Resumed after BTC's change: only NVDA's later change.
    const std::uint64_t btc_seq = r.u64("/quotes/1/seq");
    ws_client later;
    later.connect(e2.port(), fmt::format("/v1/stream?since={}", btc_seq));
    const json_doc l(later.read_json(3s));
    CHECK(l.symbols() == std::vector<std::string>{"NVDA"});
    // And resumed at the newest seq: nothing.
    ws_client current;
    current.connect(e2.port(), fmt::format("/v1/stream?since={}", nvda_seq));
    CHECK(json_doc(current.read_json(3s)).size("/quotes") == 0);
}

TEST_CASE("cluster: when the active publisher is killed, the standby takes over within the lease TTL",
          "[integration][cluster]") {
    if (!have_nats_server()) return skip_missing_tool("nats-server", "apt-get install nats-server");
    nats_server nats;
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    auto active = std::make_unique<daemon_process>(cluster_config(m, "publisher", {nats.url()}));
    REQUIRE(eventually([&] { return active->log_text().find("took the lease of BTC") != std::string::npos; }, 5s));
    daemon_process standby(cluster_config(m, "publisher", {nats.url()}));
    daemon_process edge(cluster_config(m, "edge", {nats.url()}));
    REQUIRE(eventually([&] { return standby.log_text().find("standing by") != std::string::npos; }, 5s));
    CHECK(standby.log_text().find("took the lease") == std::string::npos);
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.00"; });

    // NVDA changes every 100 ms; a client of the edge records when each update arrives.
    std::atomic<bool> done{false};
    std::thread ticker([&] {
        for (int i = 1; !done; ++i) {
            m.yahoo("NVDA", fmt::format("{}.{:02}", 100 + i / 100, i % 100), "99.00");
            std::this_thread::sleep_for(100ms);
        }
    });
    ws_client client;
    client.connect(edge.port(), "/v1/stream?symbols=NVDA");
    CHECK(json_doc(client.read_json(3s)).str("/type") == "snapshot");
    std::vector<std::pair<steady::time_point, std::uint64_t>> seen;
    auto read_for = [&](milliseconds span) {
        const auto until = steady::now() + span;
        while (steady::now() < until) {
            const auto text = client.try_read(std::chrono::duration_cast<milliseconds>(until - steady::now()));
            if (!text) continue;
            const json_doc u(*text);
            if (u.str("/type") == "update") seen.emplace_back(steady::now(), u.u64("/quotes/0/seq"));
        }
    };
    read_for(1s);
    REQUIRE(!seen.empty());
    active->signal(SIGKILL);
    const auto killed_at = steady::now();
    read_for(4s);
    done = true;
    ticker.join();

    CHECK(standby.log_text().find("took the lease of NVDA") != std::string::npos);
    milliseconds longest{0};         // between two updates, across the kill
    milliseconds spacing_before{0};  // between two updates before the kill (how often NVDA changes here)
    bool forward = true;
    for (std::size_t i = 1; i < seen.size(); ++i) {
        const auto gap = std::chrono::duration_cast<milliseconds>(seen[i].first - seen[i - 1].first);
        longest = std::max(longest, gap);
        if (seen[i].first < killed_at) spacing_before = std::max(spacing_before, gap);
        forward = forward && seen[i].second > seen[i - 1].second;
    }
    const auto first_after = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first > killed_at; });
    REQUIRE(first_after != seen.end());
    REQUIRE(first_after != seen.begin());
    const auto takeover = std::chrono::duration_cast<milliseconds>(first_after->first - killed_at);
    std::string timeline;
    for (const auto& [at, seq] : seen)
        timeline += fmt::format(" {:+}ms:{}", std::chrono::duration_cast<milliseconds>(at - killed_at).count(), seq);
    WARN("first update " << takeover.count() << " ms after the kill, longest gap " << longest.count()
                         << " ms; updates (time from the kill: seq):" << timeline);
    CHECK(forward);  // never a backwards (or repeated) seq
    // The lease TTL (2 s) plus one poll interval (200 ms), plus the standby's lease check
    // (every TTL/6) and 200 ms for the way through NATS and the edge.
    const milliseconds bound = 2000ms + 200ms + 2000ms / 6 + 200ms;
    CHECK(takeover <= bound);
    // A client waits no longer than that plus the usual spacing of its updates.
    CHECK(longest <= bound + spacing_before);
}

TEST_CASE("cluster: an edge survives a NATS restart and catches up, and an edge started late has every quote at once",
          "[integration][cluster]") {
    if (!have_nats_server()) return skip_missing_tool("nats-server", "apt-get install nats-server");
    nats_server nats;
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process pub(cluster_config(m, "publisher", {nats.url()}));
    daemon_process edge(cluster_config(m, "edge", {nats.url()}));
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.00"; });
    REQUIRE(eventually([&] { return http_get(edge.port(), "/readyz").status == 200; }, 5s));

    nats.kill();
    // Not ready, and says why; still serving its last quotes.
    std::string why;
    CHECK(eventually([&] {
        const auto r = http_get(edge.port(), "/readyz");
        why = r.body;
        return r.status == 503 && why.find("not connected to NATS since") != std::string::npos;
    }, 5s));
    INFO(why);
    CHECK(price_of(edge, "NVDA") == "100.00");
    m.yahoo("NVDA", "102.00", "99.00");  // while NATS is down
    std::this_thread::sleep_for(500ms);

    const auto restarted_at = steady::now();
    nats.start();
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "102.00"; });
    WARN("edge caught up " << std::chrono::duration_cast<milliseconds>(steady::now() - restarted_at).count()
                           << " ms after NATS restarted");
    CHECK(eventually([&] { return http_get(edge.port(), "/readyz").status == 200; }, 5s));

    // A late edge has the whole snapshot as soon as it has read the bucket, numbered as on the first.
    const auto late_start = steady::now();
    daemon_process late(cluster_config(m, "edge", {nats.url()}));
    CHECK(eventually([&] { return http_get(late.port(), "/readyz").status == 200; }, 3s));
    WARN("late edge ready " << std::chrono::duration_cast<milliseconds>(steady::now() - late_start).count()
                            << " ms after it was started");
    CHECK(snapshot_of(late) == snapshot_of(edge));
    CHECK(snapshot_of(late).size() == 3);
}

TEST_CASE("cluster: on a 3-node NATS cluster with 3 replicas, quotes keep flowing when a node is killed",
          "[integration][cluster]") {
    if (!have_nats_server()) return skip_missing_tool("nats-server", "apt-get install nats-server");
    const std::vector<std::uint16_t> routes{free_loopback_port(), free_loopback_port(), free_loopback_port()};
    std::vector<std::unique_ptr<nats_server>> nodes;
    for (std::size_t i = 0; i < routes.size(); ++i) {
        nats_node_options o;
        o.name = fmt::format("n{}", i + 1);
        o.cluster_port = routes[i];
        for (std::size_t j = 0; j < routes.size(); ++j)
            if (j != i) o.route_ports.push_back(routes[j]);
        nodes.push_back(std::make_unique<nats_server>(o));
    }
    const std::vector<std::string> servers{nodes[0]->url(), nodes[1]->url(), nodes[2]->url()};
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "100.00", "99.00");
    m.coinbase("71420.00", "70825.07");
    daemon_process pub(cluster_config(m, "publisher", servers, "replicas = 3"));
    daemon_process edge(cluster_config(m, "edge", servers, "replicas = 3"));
    // JetStream elects its leaders first: the buckets are created once it has.
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.00"; }, 15s);

    nodes[0]->kill();
    const auto killed_at = steady::now();
    m.yahoo("NVDA", "100.40", "99.00");
    // JetStream elects new leaders first (seconds, longer on a loaded machine); an edge
    // connected to a surviving node notices its lost watch after two lease TTLs.
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.40"; }, 30s);
    WARN("a new price reached the edge " << std::chrono::duration_cast<milliseconds>(steady::now() - killed_at).count()
                                         << " ms after a NATS node was killed");
    m.yahoo("NVDA", "100.60", "99.00");
    wait_quote(edge, "NVDA", [](const json_doc& q) { return q.raw("/price") == "100.60"; }, 5s);
    CHECK(eventually([&] { return http_get(edge.port(), "/readyz").status == 200; }, 5s));
}

TEST_CASE("cluster: --check-config prints the [cluster] table with the token redacted", "[integration][cluster]") {
    yahoo_coinbase_market m;
    scratch_dir files;
    const std::string ca = (files.path() / "nats-ca.pem").string();
    std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
    daemon_options opts;
    opts.wait_listening = false;
    opts.extra_args = {"--check-config"};
    daemon_process d(cluster_config(m, "edge", {"nats://127.0.0.1:4222", "tls://10.0.0.2:4222"},
                                    fmt::format("token = \"s3cret-token\"\ntls_ca_file = \"{}\"", ca)),
                     opts);
    REQUIRE(d.wait_exit(10s) == 0);
    const std::string out = d.log_text();
    INFO(out);
    CHECK(out.find("[cluster]") != std::string::npos);
    CHECK(out.find("role = 'edge'") != std::string::npos);
    CHECK(out.find("tls://10.0.0.2:4222") != std::string::npos);
    CHECK(out.find("token = '(redacted)'") != std::string::npos);
    CHECK(out.find("s3cret") == std::string::npos);
}

#include <catch2/catch.hpp>

#include <algorithm>

#include <string>

#include "settings/config_loader.hpp"
#include "settings/reload_plan.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

config parse(const std::string& server, const std::string& extra = "") {
    const std::string text = "log_level = \"info\"\n[server]\n" + server + R"(

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]

[providers.yahoo]
base_url = "https://query1.finance.yahoo.com"
)" + extra;
    auto r = parse_config(text, "t.toml");
    INFO(text);
    if (!r.ok()) FAIL(r.error().what());
    return std::move(*r);
}

}  // namespace

TEST_CASE("a reload applies symbols and providers and keeps the start-only settings, naming each", "[reload]") {
    const config running = parse("listen = \"127.0.0.1:8080\"\nthreads = 2");
    config loaded = parse("listen = \"127.0.0.1:9090\"\nthreads = 4\nheartbeat_interval = \"3s\"",
                          "[history]\nresolution = \"30s\"\n");
    loaded.log_level = "debug";
    loaded.providers.at("yahoo").interval = 1500ms;
    loaded.symbols.push_back(loaded.symbols.front());
    loaded.symbols.back().id = "AMD";

    const reload_plan plan = plan_reload(running, loaded);
    CHECK(plan.restart_needed == std::vector<std::string>{"server.listen", "server.threads", "server.heartbeat_interval",
                                                          "history.resolution", "log_level"});
    CHECK(plan.next.server.listen_port == 8080);
    CHECK(plan.next.server.threads == 2);
    CHECK(plan.next.server.heartbeat_interval == running.server.heartbeat_interval);
    CHECK(plan.next.history.resolution == running.history.resolution);
    CHECK(plan.next.log_level == "info");
    // What a reload is for goes through.
    CHECK(plan.next.providers.at("yahoo").interval == 1500ms);
    REQUIRE(plan.next.symbols.size() == 2);
    CHECK(plan.next.symbols[1].id == "AMD");
}

TEST_CASE("an unchanged config needs no restart", "[reload]") {
    const config running = parse("listen = \"127.0.0.1:0\"");
    CHECK(plan_reload(running, running).restart_needed.empty());
}

TEST_CASE("reload_plan: [limits] and the server's proxy and origin lists are start-only", "[reload]") {
    tickerd::config running;
    tickerd::config loaded;
    loaded.limits.max_connections = 7;
    loaded.limits.messages_per_second = 99;
    loaded.server.allowed_sites = {"https://example.com"};
    loaded.server.ops_listen_set = true;
    const auto plan = tickerd::plan_reload(running, loaded);
    const auto& keys = plan.restart_needed;
    CHECK(std::find(keys.begin(), keys.end(), "limits.max_connections") != keys.end());
    CHECK(std::find(keys.begin(), keys.end(), "limits.messages_per_second") != keys.end());
    CHECK(std::find(keys.begin(), keys.end(), "server.allowed_sites") != keys.end());
    CHECK(std::find(keys.begin(), keys.end(), "server.ops_listen") != keys.end());
    CHECK(plan.next.limits.max_connections == running.limits.max_connections);
    CHECK(plan.next.server.allowed_sites.empty());
    CHECK_FALSE(plan.next.server.ops_listen_set);
}

TEST_CASE("reload_plan: every [cluster] key is start-only", "[reload][cluster]") {
    const config running = parse("", "[cluster]\nrole = \"edge\"\nservers = [\"nats://127.0.0.1:4222\"]\n");
    const config loaded = parse("", "[cluster]\nrole = \"publisher\"\nservers = [\"nats://10.0.0.1:4222\"]\n"
                                    "bucket = \"q\"\nlease_bucket = \"l\"\nlease_ttl = \"9s\"\nreplicas = 3\n"
                                    "token = \"t\"\ntls_ca_file = \"/ca.pem\"\n");
    const auto plan = plan_reload(running, loaded);
    for (const char* key : {"cluster.role", "cluster.servers", "cluster.bucket", "cluster.lease_bucket",
                            "cluster.lease_ttl", "cluster.replicas", "cluster.token", "cluster.tls_ca_file"}) {
        INFO(key);
        CHECK(std::find(plan.restart_needed.begin(), plan.restart_needed.end(), key) != plan.restart_needed.end());
    }
    CHECK(plan.next.cluster.role == cluster_role::edge);
    CHECK(plan.next.cluster.servers == running.cluster.servers);
    CHECK(plan.next.cluster.lease_ttl == 5s);
}

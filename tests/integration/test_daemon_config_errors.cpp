// The real tickerd binary given a bad config: exit status 2 before listening,
// and "FILE: KEY: MESSAGE" on stderr naming the offending key.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

struct config_parts {
    std::string top = "";  // top-level keys, before any table
    std::string server = "listen = \"127.0.0.1:0\"\n";
    std::string symbols = R"(
[[symbols]]
id = "DEMO"
name = "Demo Corp"
class = "equity"
currency = "USD"
precision = 2
sources = ["sim"]
start_price = "1284.30"
max_age = "5m"
)";
    std::string providers = "\n[providers.sim]\nseed = 42\ninterval = \"100ms\"\n";

    std::string text() const { return top + "\n[server]\n" + server + symbols + providers; }
};

struct bad_case {
    std::string name;
    std::string toml;
    std::string key;  // the dotted key path stderr must name; empty: only the file is checked
};

std::vector<bad_case> bad_cases() {
    std::vector<bad_case> cases;
    const config_parts base;
    {
        config_parts c;
        c.symbols.replace(c.symbols.find("max_age = \"5m\""), 14, "max_age = \"soon\"");
        cases.push_back({"a duration that does not parse", c.text(), "symbols[0].max_age"});
    }
    {
        config_parts c;
        c.providers += "\n[providers.nope]\nbase_url = \"http://127.0.0.1:1\"\ninterval = \"1s\"\n";
        cases.push_back({"an unknown provider section", c.text(), "providers.nope"});
    }
    {
        config_parts c;
        c.server = "listen = \"nowhere\"\n";
        cases.push_back({"a listen address without a port", c.text(), "server.listen"});
    }
    {
        config_parts c;
        c.symbols += R"(
[[symbols]]
id = "DEMO"
name = "Demo again"
class = "equity"
currency = "USD"
precision = 2
sources = ["sim"]
start_price = "10.00"
)";
        cases.push_back({"a duplicate symbol id", c.text(), "symbols[1].id"});
    }
    {
        config_parts c;
        c.top = "bogus = 1\n";
        cases.push_back({"an unknown top-level key", c.text(), "bogus"});
    }
    {
        config_parts c;
        c.symbols.replace(c.symbols.find("sources = [\"sim\"]"), 17, "sources = [\"nope:NVDA\"]");
        cases.push_back({"a source naming an unknown provider", c.text(), "symbols[0].sources[0]"});
    }
    {
        config_parts c;
        c.symbols.replace(c.symbols.find("class = \"equity\""), 16, "class = \"bond\"");
        cases.push_back({"an unknown asset class", c.text(), "symbols[0].class"});
    }
    {
        config_parts c;
        c.providers = "\n[providers.sim]\nseed = 42\ninterval = \"fast\"\n";
        cases.push_back({"a provider interval that does not parse", c.text(), "providers.sim.interval"});
    }
    // A symlink to the root is resolved before the check.
    static const std::string link = "/tmp/tickerd-web-root-link-" + std::to_string(::getpid());
    std::filesystem::remove(link);
    std::filesystem::create_directory_symlink("/", link);
    for (const std::string root : {"/", "/etc", "/usr/", "/var/../etc", "/usr/share/..", link.c_str()}) {
        config_parts c;
        c.server += fmt::format("web_root = \"{}\"\n", root);
        cases.push_back({"web_root = " + root, c.text(), "server.web_root"});
    }
    {
        config_parts c;
        c.server += "allowed_origins = [\"https://news.example.com\"]\n";
        cases.push_back({"allowed_origins (replaced by allowed_sites)", c.text(), "server.allowed_origins"});
    }
    {
        config_parts c;
        c.server += "cors_origins = [\"*\"]\n";
        cases.push_back({"cors_origins (replaced by allowed_sites)", c.text(), "server.cors_origins"});
    }
    {
        config_parts c;
        c.server += "ops_listen = \"localhost:9101\"\n";
        cases.push_back({"an ops_listen host that is not an address", c.text(), "server.ops_listen"});
    }
    // [cluster] (docs/scaling.md): each bad value names its key.
    for (const auto& [name, table, key] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"an unknown cluster role", "role = \"leader\"", "cluster.role"},
             {"a NATS server that is not a URL", "role = \"edge\"\nservers = [\"127.0.0.1:4222\"]", "cluster.servers[0]"},
             {"no NATS server", "role = \"edge\"\nservers = []", "cluster.servers"},
             {"a bucket name with a dot", "bucket = \"tickerd.quotes\"", "cluster.bucket"},
             {"the same bucket twice", "bucket = \"q\"\nlease_bucket = \"q\"", "cluster.lease_bucket"},
             {"a lease TTL under a second", "lease_ttl = \"500ms\"", "cluster.lease_ttl"},
             {"six replicas", "replicas = 6", "cluster.replicas"},
             {"a token and a credentials file", "token = \"s3cret\"\ncredentials_file = \"/etc/nats.creds\"", "cluster.token"},
             {"a client certificate without its key", "tls_cert_file = \"/etc/cert.pem\"", "cluster.tls_key_file"},
             {"an unknown cluster key", "rol = \"edge\"", "cluster.rol"},
             {"a credentials file that cannot be read", "credentials_file = \"/nonexistent/nats.creds\"",
              "cluster.credentials_file"},
         }) {
        cases.push_back({name, base.text() + "\n[cluster]\n" + table + "\n", key});
    }
    cases.push_back({"TOML that does not parse", base.text() + "\n[[symbols]\nid = \n", ""});
    return cases;
}

}  // namespace

TEST_CASE("The base config of the error cases is accepted", "[integration]") {
    daemon_process d(config_parts{}.text());
    CHECK(http_get(d.port(), "/healthz").status == 200);
    CHECK(d.stop() == 0);
}

TEST_CASE("a key replaced by allowed_sites names its replacement on stderr and exits 2", "[integration]") {
    config_parts c;
    c.server += "allowed_origins = [\"https://news.example.com\"]\n";
    daemon_options opts;
    opts.wait_listening = false;
    opts.separate_stderr = true;
    daemon_process d(c.text(), opts);
    const auto status = d.wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status == 2);
    CHECK_THAT(d.stderr_text(), Catch::Contains("server.allowed_origins: replaced by server.allowed_sites"));
}

TEST_CASE("A bad config exits 2 before listening and names the file and key on stderr", "[integration]") {
    for (const auto& c : bad_cases()) {
        DYNAMIC_SECTION(c.name) {
            daemon_options opts;
            opts.wait_listening = false;
            opts.separate_stderr = true;
            daemon_process d(c.toml, opts);
            auto status = d.wait_exit(10s);
            const std::string err = d.stderr_text();
            INFO("config:\n" << c.toml << "\nstderr:\n" << err << "\nstdout:\n" << d.log_text());
            REQUIRE(status.has_value());
            CHECK(*status == 2);
            const std::string prefix =
                c.key.empty() ? d.config_path() + ": " : fmt::format("{}: {}: ", d.config_path(), c.key);
            const auto at = err.find(prefix);
            CHECK(at != std::string::npos);
            if (at != std::string::npos) {
                // A message follows on the same line.
                const auto eol = err.find('\n', at);
                const auto msg = err.substr(at + prefix.size(), eol == std::string::npos ? eol : eol - at - prefix.size());
                CHECK_FALSE(msg.empty());
            }
            CHECK(d.log_text().find("listening on") == std::string::npos);
            CHECK(err.find("listening on") == std::string::npos);
        }
    }
    std::filesystem::remove("/tmp/tickerd-web-root-link-" + std::to_string(::getpid()));
}

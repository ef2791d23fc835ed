// [cluster]: the role in a NATS JetStream cluster and how to reach NATS (docs/scaling.md).
#include <fmt/format.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"

namespace tickerd::config_sections {
namespace {

using namespace toml_reader;

// A KV bucket name: letters, digits, '-' and '_' (JetStream's rule).
std::string read_bucket(const toml::node& n, const std::string& key) {
    std::string s = get_string(n, key);
    bool ok = !s.empty() && s.size() <= 64;
    for (const char c : s) {
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        ok = ok && plain;
    }
    if (!ok) fail(key, fmt::format("\"{}\": a bucket name is 1 to 64 letters, digits, '-' or '_'", s), &n);
    return s;
}

std::string read_path(const toml::node& n, const std::string& key) {
    std::string s = get_string(n, key);
    if (s.empty() || has_control_chars(s)) fail(key, "must be a file path", &n);
    return s;
}

}  // namespace

cluster_config read_cluster(const toml::table& t) {
    cluster_config c;
    check_keys(t, "cluster",
               {"role", "servers", "bucket", "lease_bucket", "lease_ttl", "replicas", "credentials_file", "token",
                "tls_ca_file", "tls_cert_file", "tls_key_file"});
    if (const auto* n = t.get("role")) {
        const std::string r = get_string(*n, "cluster.role");
        if (r == "standalone") {
            c.role = cluster_role::standalone;
        } else if (r == "publisher") {
            c.role = cluster_role::publisher;
        } else if (r == "edge") {
            c.role = cluster_role::edge;
        } else {
            fail("cluster.role", fmt::format("\"{}\": expected \"standalone\", \"publisher\" or \"edge\"", r), n);
        }
    }
    if (const auto* n = t.get("servers")) {
        c.servers.clear();
        for_each_string(*n, "cluster.servers", [&](const std::string& v, const std::string& key, const toml::node& item) {
            const std::size_t scheme = v.starts_with("nats://") ? 7 : v.starts_with("tls://") ? 6 : 0;
            if (scheme == 0 || v.size() == scheme || has_control_chars(v) || v.find(' ') != std::string::npos)
                fail(key, fmt::format("\"{}\": expected a NATS URL such as \"nats://127.0.0.1:4222\"", v), &item);
            c.servers.push_back(v);
        });
        if (c.servers.empty()) fail("cluster.servers", "at least one NATS server is required", n);
    }
    if (const auto* n = t.get("bucket")) c.bucket = read_bucket(*n, "cluster.bucket");
    if (const auto* n = t.get("lease_bucket")) c.lease_bucket = read_bucket(*n, "cluster.lease_bucket");
    if (c.bucket == c.lease_bucket)
        fail("cluster.lease_bucket", fmt::format("\"{}\": must differ from cluster.bucket", c.lease_bucket),
             t.get("lease_bucket"));
    if (const auto* n = t.get("lease_ttl")) {
        c.lease_ttl = get_duration(*n, "cluster.lease_ttl", true);
        if (c.lease_ttl < milliseconds{1'000} || c.lease_ttl > milliseconds{600'000})
            fail("cluster.lease_ttl", "must be from 1s to 10m", n);
    }
    if (const auto* n = t.get("replicas")) c.replicas = static_cast<unsigned>(get_int(*n, "cluster.replicas", 1, 5));
    if (const auto* n = t.get("credentials_file")) c.credentials_file = read_path(*n, "cluster.credentials_file");
    if (const auto* n = t.get("token")) {
        c.token = get_string(*n, "cluster.token");
        if (c.token.empty() || has_control_chars(c.token)) fail("cluster.token", "must be a non-empty token", n);
    }
    if (!c.token.empty() && !c.credentials_file.empty())
        fail("cluster.token", "set either cluster.token or cluster.credentials_file, not both", t.get("token"));
    if (const auto* n = t.get("tls_ca_file")) c.tls_ca_file = read_path(*n, "cluster.tls_ca_file");
    if (const auto* n = t.get("tls_cert_file")) c.tls_cert_file = read_path(*n, "cluster.tls_cert_file");
    if (const auto* n = t.get("tls_key_file")) c.tls_key_file = read_path(*n, "cluster.tls_key_file");
    if (c.tls_cert_file.empty() != c.tls_key_file.empty())
        fail(c.tls_cert_file.empty() ? "cluster.tls_cert_file" : "cluster.tls_key_file",
             "tls_cert_file and tls_key_file go together");
    return c;
}

}  // namespace tickerd::config_sections

#include "settings/reload_plan.hpp"

#include <algorithm>

namespace tickerd {

reload_plan plan_reload(const config& running, config loaded) {
    reload_plan plan;
    auto& keys = plan.restart_needed;
    const server_config& a = running.server;
    const server_config& b = loaded.server;
    // The listening socket, the io threads and the static files are set up once;
    // sessions read [server] through server_state::cfg, the config of the start.
    if (a.listen_host != b.listen_host || a.listen_port != b.listen_port) keys.emplace_back("server.listen");
    if (a.threads != b.threads) keys.emplace_back("server.threads");
    if (a.ping_interval != b.ping_interval) keys.emplace_back("server.ping_interval");
    if (a.heartbeat_interval != b.heartbeat_interval) keys.emplace_back("server.heartbeat_interval");
    if (a.max_queued_messages != b.max_queued_messages) keys.emplace_back("server.max_queued_messages");
    if (a.web_root != b.web_root) keys.emplace_back("server.web_root");
    if (a.state_dir != b.state_dir) keys.emplace_back("server.state_dir");
    if (a.state_save_interval != b.state_save_interval) keys.emplace_back("server.state_save_interval");
    if (a.trusted_proxies.size() != b.trusted_proxies.size() ||
        !std::equal(a.trusted_proxies.begin(), a.trusted_proxies.end(), b.trusted_proxies.begin(),
                    [](const ip_network& x, const ip_network& y) { return x.base == y.base && x.prefix == y.prefix; }))
        keys.emplace_back("server.trusted_proxies");
    if (a.allowed_sites != b.allowed_sites) keys.emplace_back("server.allowed_sites");
    if (a.ops_listen_set != b.ops_listen_set || a.ops_listen_host != b.ops_listen_host ||
        a.ops_listen_port != b.ops_listen_port)
        keys.emplace_back("server.ops_listen");
    // Connection accounting and every session's limits are set up at start.
    const limits_config& la = running.limits;
    const limits_config& lb = loaded.limits;
    if (la.max_connections != lb.max_connections) keys.emplace_back("limits.max_connections");
    if (la.max_connections_per_ip != lb.max_connections_per_ip) keys.emplace_back("limits.max_connections_per_ip");
    if (la.max_header_bytes != lb.max_header_bytes) keys.emplace_back("limits.max_header_bytes");
    if (la.max_message_bytes != lb.max_message_bytes) keys.emplace_back("limits.max_message_bytes");
    if (la.handshake_timeout != lb.handshake_timeout) keys.emplace_back("limits.handshake_timeout");
    if (la.idle_timeout != lb.idle_timeout) keys.emplace_back("limits.idle_timeout");
    if (la.messages_per_second != lb.messages_per_second) keys.emplace_back("limits.messages_per_second");
    if (la.max_queued_bytes != lb.max_queued_bytes) keys.emplace_back("limits.max_queued_bytes");
    if (la.max_lag != lb.max_lag) keys.emplace_back("limits.max_lag");
    if (la.slow_client_timeout != lb.slow_client_timeout) keys.emplace_back("limits.slow_client_timeout");
    if (la.send_buffer_bytes != lb.send_buffer_bytes) keys.emplace_back("limits.send_buffer_bytes");
    // The price history's buckets are laid out at start.
    if (running.history.resolution != loaded.history.resolution) keys.emplace_back("history.resolution");
    if (running.history.retention != loaded.history.retention) keys.emplace_back("history.retention");
    if (running.log_level != loaded.log_level) keys.emplace_back("log_level");
    // The NATS connection, the buckets and the role are set up at start.
    const cluster_config& ca = running.cluster;
    const cluster_config& cb = loaded.cluster;
    if (ca.role != cb.role) keys.emplace_back("cluster.role");
    if (ca.servers != cb.servers) keys.emplace_back("cluster.servers");
    if (ca.bucket != cb.bucket) keys.emplace_back("cluster.bucket");
    if (ca.lease_bucket != cb.lease_bucket) keys.emplace_back("cluster.lease_bucket");
    if (ca.lease_ttl != cb.lease_ttl) keys.emplace_back("cluster.lease_ttl");
    if (ca.replicas != cb.replicas) keys.emplace_back("cluster.replicas");
    if (ca.credentials_file != cb.credentials_file) keys.emplace_back("cluster.credentials_file");
    if (ca.token != cb.token) keys.emplace_back("cluster.token");
    if (ca.tls_ca_file != cb.tls_ca_file) keys.emplace_back("cluster.tls_ca_file");
    if (ca.tls_cert_file != cb.tls_cert_file) keys.emplace_back("cluster.tls_cert_file");
    if (ca.tls_key_file != cb.tls_key_file) keys.emplace_back("cluster.tls_key_file");
    loaded.cluster = running.cluster;
    loaded.server = running.server;
    loaded.limits = running.limits;
    loaded.history = running.history;
    loaded.log_level = running.log_level;
    plan.next = std::move(loaded);
    return plan;
}

}  // namespace tickerd

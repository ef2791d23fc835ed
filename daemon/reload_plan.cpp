#include "daemon/reload_plan.hpp"

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
    // The price history's buckets are laid out at start.
    if (running.history.resolution != loaded.history.resolution) keys.emplace_back("history.resolution");
    if (running.history.retention != loaded.history.retention) keys.emplace_back("history.retention");
    if (running.log_level != loaded.log_level) keys.emplace_back("log_level");
    loaded.server = running.server;
    loaded.history = running.history;
    loaded.log_level = running.log_level;
    plan.next = std::move(loaded);
    return plan;
}

}  // namespace tickerd

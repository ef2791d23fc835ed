#include "cluster/cluster_status.hpp"

#include <fmt/format.h>

#include "ops/metrics.hpp"

namespace tickerd {

cluster_status::cluster_status(cluster_role role)
    : role_(role), down_since_(std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now())) {}

void cluster_status::set_connected(bool connected, time_point now) {
    const std::scoped_lock lk(mu_);
    if (!connected && connected_.load()) down_since_ = now;
    connected_.store(connected);
}

void cluster_status::set_loaded(bool loaded) { loaded_.store(loaded); }

void cluster_status::set_lease(const std::string& symbol, bool held) {
    const std::scoped_lock lk(mu_);
    leases_[symbol] = held;
}

void cluster_status::forget_lease(const std::string& symbol) {
    const std::scoped_lock lk(mu_);
    leases_.erase(symbol);
}

std::string cluster_status::problem() const {
    const std::scoped_lock lk(mu_);
    if (!connected_.load()) return fmt::format("cluster: not connected to NATS since {}", format_utc(down_since_));
    if (role_ == cluster_role::edge && !loaded_.load()) return "cluster: reading the quote bucket";
    return {};
}

std::string cluster_status::metrics_text() const {
    std::string out;
    out += "# HELP tickerd_cluster_connected 1 while this daemon is connected to NATS (publisher and edge roles).\n";
    out += "# TYPE tickerd_cluster_connected gauge\n";
    out += fmt::format("tickerd_cluster_connected {}\n", connected_.load() ? 1 : 0);
    if (role_ == cluster_role::publisher) {
        out += "# HELP tickerd_cluster_lease_held 1 for each symbol this publisher holds the lease of (writes to the bucket).\n";
        out += "# TYPE tickerd_cluster_lease_held gauge\n";
        {
            const std::scoped_lock lk(mu_);
            for (const auto& [symbol, held] : leases_) {
                out += fmt::format("tickerd_cluster_lease_held{{symbol=\"{}\"}} {}\n", escape_label_value(symbol),
                                   held ? 1 : 0);
            }
        }
        out += "# HELP tickerd_cluster_entries_published_total Quotes written to the cluster's quote bucket.\n";
        out += "# TYPE tickerd_cluster_entries_published_total counter\n";
        out += fmt::format("tickerd_cluster_entries_published_total {}\n", published_.load());
        out += "# HELP tickerd_cluster_write_failures_total Writes to the quote bucket that failed (retried).\n";
        out += "# TYPE tickerd_cluster_write_failures_total counter\n";
        out += fmt::format("tickerd_cluster_write_failures_total {}\n", write_failures_.load());
    } else {
        out += "# HELP tickerd_cluster_entries_applied_total Quote bucket entries this edge has read into its store.\n";
        out += "# TYPE tickerd_cluster_entries_applied_total counter\n";
        out += fmt::format("tickerd_cluster_entries_applied_total {}\n", applied_.load());
    }
    return out;
}

}  // namespace tickerd

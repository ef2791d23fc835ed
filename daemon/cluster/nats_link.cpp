#include "cluster/nats_link.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tickerd {

namespace {

time_point now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now()); }

// The URL without any "user:password@" in it, for logs.
std::string url_for_log(const char* url) {
    std::string s = url != nullptr ? url : "?";
    const auto scheme = s.find("://");
    const auto at = s.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) s.erase(scheme + 3, at - scheme - 2);
    return s;
}

}  // namespace

nats_link::nats_link(const cluster_config& cfg, cluster_status& status, stop_signal& stop)
    : cfg_(cfg), status_(status), stop_(stop) {}

nats_link::~nats_link() {
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (conn_ != nullptr) {
        close();
        natsConnection_Destroy(conn_);
    }
}

void nats_link::close() {
    if (conn_ == nullptr || closing_.exchange(true)) return;
    natsConnection_Close(conn_);
    std::unique_lock lk(closed_mu_);
    closed_cv_.wait_for(lk, std::chrono::seconds(5), [this] { return closed_; });
}

std::string nats_link::last_error(const char* what, natsStatus s) {
    const char* text = nats_GetLastError(nullptr);
    return fmt::format("{}: {}", what, text != nullptr && *text != '\0' ? text : natsStatus_GetText(s));
}

void nats_link::on_disconnected(natsConnection*, void* self) {
    auto* link = static_cast<nats_link*>(self);
    if (!link->status_.connected() || link->stop_.stopping() || link->closing_) return;  // not at our own close
    spdlog::warn("cluster: disconnected from NATS: reconnecting");
    link->status_.set_connected(false, now_ms());
}

void nats_link::on_closed(natsConnection*, void* self) {
    auto* link = static_cast<nats_link*>(self);
    // Notified under the lock: the destructor, once it sees closed_, may destroy both at once.
    const std::scoped_lock lk(link->closed_mu_);
    link->closed_ = true;
    link->closed_cv_.notify_all();
}

void nats_link::on_reconnected(natsConnection* nc, void* self) {
    auto* link = static_cast<nats_link*>(self);
    char url[256] = {};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    spdlog::info("cluster: reconnected to NATS at {}", url_for_log(url));
    link->reconnects_.fetch_add(1);
    link->status_.set_connected(true, now_ms());
}

bool nats_link::connect() {
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) {
        spdlog::error("cluster: {}", last_error("cannot create the NATS options", NATS_NO_MEMORY));
        return false;
    }
    std::vector<const char*> servers;
    for (const auto& s : cfg_.servers) servers.push_back(s.c_str());
    natsStatus s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetName(opts, cfg_.role == cluster_role::edge ? "tickerd edge" : "tickerd publisher");
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2'000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // for ever
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 250, 1'000);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &nats_link::on_disconnected, this);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &nats_link::on_reconnected, this);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &nats_link::on_closed, this);
    if (s == NATS_OK && !cfg_.token.empty()) s = natsOptions_SetToken(opts, cfg_.token.c_str());
    if (s == NATS_OK && !cfg_.credentials_file.empty())
        s = natsOptions_SetUserCredentialsFromFiles(opts, cfg_.credentials_file.c_str(), nullptr);
    if (s == NATS_OK && !cfg_.tls_ca_file.empty()) {
        s = natsOptions_SetSecure(opts, true);
        if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, cfg_.tls_ca_file.c_str());
    }
    if (s == NATS_OK && !cfg_.tls_cert_file.empty())
        s = natsOptions_LoadCertificatesChain(opts, cfg_.tls_cert_file.c_str(), cfg_.tls_key_file.c_str());
    if (s != NATS_OK) {
        spdlog::error("cluster: {}", last_error("invalid NATS options", s));
        natsOptions_Destroy(opts);
        return false;
    }
    std::chrono::milliseconds wait{250};
    bool logged = false;
    while (!stop_.stopping()) {
        s = natsConnection_Connect(&conn_, opts);
        if (s == NATS_OK) break;
        conn_ = nullptr;
        if (status_.connected()) status_.set_connected(false, now_ms());
        if (!logged) spdlog::warn("cluster: {} (retrying)", last_error("cannot connect to NATS", s));
        logged = true;
        if (stop_.wait_for(wait)) break;
        wait = std::min(wait * 2, std::chrono::milliseconds(5'000));
    }
    natsOptions_Destroy(opts);
    if (conn_ == nullptr) return false;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 2'000;  // each JetStream request: a stop never waits longer
    if ((s = natsConnection_JetStream(&js_, conn_, &jo)) != NATS_OK) {
        spdlog::error("cluster: {}", last_error("cannot use JetStream", s));
        return false;
    }
    char url[256] = {};
    natsConnection_GetConnectedUrl(conn_, url, sizeof url);
    spdlog::info("cluster: connected to NATS at {} as {}", url_for_log(url), to_string(cfg_.role));
    status_.set_connected(true, now_ms());
    return true;
}

kvStore* nats_link::open_bucket(const std::string& name, std::int64_t ttl_ns) {
    kvStore* kv = nullptr;
    natsStatus s = js_KeyValue(&kv, js_, name.c_str());
    if (s == NATS_OK) return kv;
    if (s != NATS_NOT_FOUND) {
        spdlog::warn("cluster: {}", last_error(fmt::format("cannot open the bucket {}", name).c_str(), s));
        return nullptr;
    }
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name.c_str();
    kc.History = 1;
    kc.TTL = ttl_ns;
    kc.StorageType = js_FileStorage;
    kc.Replicas = static_cast<int>(cfg_.replicas);
    s = js_CreateKeyValue(&kv, js_, &kc);
    if (s != NATS_OK) {
        spdlog::warn("cluster: {}", last_error(fmt::format("cannot create the bucket {}", name).c_str(), s));
        return nullptr;
    }
    spdlog::info("cluster: created the bucket {} ({} replica{})", name, cfg_.replicas, cfg_.replicas == 1 ? "" : "s");
    return kv;
}

}  // namespace tickerd

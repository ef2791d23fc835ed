#pragma once
// The daemon's configuration: loaded once, validated whole, then immutable.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/decimal.hpp"
#include "tickerd/ip_network.hpp"
#include "tickerd/market_calendar.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

using std::chrono::milliseconds;

struct server_config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    unsigned threads = 0;                           // 0: one per core
    milliseconds ping_interval{15'000};             // WebSocket ping; a client silent for 2x is closed
    milliseconds heartbeat_interval{15'000};        // app-level heartbeat on a quiet stream
    std::size_t max_queued_messages = 1024;         // non-update messages queued per stream client; beyond: close 1013
    std::string web_root;                           // static files served at /; empty: the built-in default
    std::string state_dir;                          // empty: $STATE_DIRECTORY, $XDG_STATE_HOME/tickerd, ~/.local/state/tickerd
    milliseconds state_save_interval{5'000};        // saves at most this often, when something changed
    std::vector<ip_network> trusted_proxies;        // X-Forwarded-For is honoured only from these peers
    // Sites allowed to embed the bar (origins, lower case): the WebSocket Origin
    // check and CORS both follow it. Empty: any site.
    std::vector<std::string> allowed_sites;
    // The ops endpoints' own listener (/metrics, /healthz, /readyz); unset: none,
    // and /metrics is served on the main listener.
    bool ops_listen_set = false;
    std::string ops_listen_host;
    std::uint16_t ops_listen_port = 0;
};

// What one client, or all of them, may use. 0 disables a count limit.
struct limits_config {
    std::size_t max_connections = 10'000;           // open TCP connections in total; beyond: 503
    std::size_t max_connections_per_ip = 100;       // per client IP; beyond: 503
    std::size_t max_header_bytes = 8 * 1024;        // request line + headers; beyond: 431
    std::size_t max_message_bytes = 4096;           // one WebSocket message from a client; beyond: close 1009
    milliseconds handshake_timeout{10'000};         // WebSocket opening and closing handshakes
    milliseconds idle_timeout{30'000};              // HTTP: time allowed for the next request to arrive
    unsigned messages_per_second = 10;              // WebSocket messages from one client; excess: error, then 1008
    std::size_t max_queued_bytes = 1 << 20;         // bytes queued for one stream client; beyond: close 1013
    milliseconds max_lag{2'000};                    // a stream client is written to only while it would take the newest message within this
    milliseconds slow_client_timeout{10'000};       // further behind than max_lag this long: close 1013; one write stuck this long: reset
    std::size_t send_buffer_bytes = 64 * 1024;      // SO_SNDBUF of client sockets; 0: the kernel's autotuning
};

struct history_config {
    milliseconds resolution{60'000};                // one point per symbol per this period
    milliseconds retention{86'400'000};             // points older than this are dropped
};

// Largest move from the last published price, in percent, that passes without
// confirmation (zero: no check).
struct bad_tick_config {
    decimal equity = decimal::from_int(20);
    decimal crypto = decimal::from_int(30);
    decimal fx = decimal::from_int(10);
};

// [cluster]: scaling out on NATS JetStream (docs/scaling.md). Standalone: no NATS at all.
enum class cluster_role { standalone, publisher, edge };
std::string_view to_string(cluster_role r);

struct cluster_config {
    cluster_role role = cluster_role::standalone;
    std::vector<std::string> servers{"nats://127.0.0.1:4222"};
    std::string bucket = "tickerd_quotes";        // the quotes, one key per symbol
    std::string lease_bucket = "tickerd_leases";  // which publisher writes which symbol
    milliseconds lease_ttl{5'000};                // a dead publisher's symbols are taken over within this
    unsigned replicas = 1;                        // of both buckets, on a NATS cluster
    std::string credentials_file;                 // NATS user credentials (.creds); never logged
    std::string token;                            // or a token; never logged
    std::string tls_ca_file;                      // TLS to NATS: trusted CA (PEM); setting it turns TLS on
    std::string tls_cert_file;                    // client certificate (PEM), with tls_key_file
    std::string tls_key_file;
};

struct provider_config {
    std::string name;
    std::string base_url;                           // scheme://host[:port][/prefix]
    milliseconds interval{5'000};
    milliseconds timeout{4'000};                    // one whole request: connect, TLS, write, read
    milliseconds max_backoff{60'000};               // longest wait between retries after failures
    std::size_t max_body_bytes = 1 << 20;
    std::string user_agent;                          // empty: the provider's default
    std::uint64_t seed = 1;                          // sim only
    std::string api_key_file;                        // keyed providers: file holding the key (else $TICKERD_<NAME>_API_KEY)
    milliseconds closed_interval{60'000};           // for a poll loop whose symbols' markets are all closed
    milliseconds idle_timeout{5'000};               // coinbase_ws only: reconnect after this long without a message
    milliseconds min_spacing{0};                    // polled providers: least time between two requests (all symbols)
    std::string ca_file;                            // extra trusted CA certificates (PEM), besides the system store
};

struct source_ref {
    std::string provider;
    std::string upstream_symbol;  // empty for sim
};

struct symbol_config {
    std::string id;
    std::string name;
    asset_class cls = asset_class::equity;
    std::string currency;
    int precision = 2;
    std::vector<source_ref> sources;
    milliseconds max_age{300'000};
    unsigned failover_after = 3;  // consecutive failures of the active source before the next takes over
    unsigned failback_after = 3;  // consecutive successes of a preferred source before it takes over again
    std::optional<decimal> start_price;  // sim only
    std::string market;                  // calendar name ("XNAS"); empty: none, the upstream's state is used
    std::shared_ptr<const market_calendar> calendar;  // the calendar `market` names; null when empty
};

struct config {
    std::string file;
    server_config server;
    limits_config limits;
    history_config history;
    bad_tick_config bad_tick;
    cluster_config cluster;
    std::string log_level = "info";
    std::vector<symbol_config> symbols;             // in config order
    std::map<std::string, provider_config> providers;

    const symbol_config* find_symbol(std::string_view id) const;
};

struct config_error {
    std::string file;
    std::string key;      // dotted path: "symbols[2].max_age", "providers.yahoo.interval"
    std::string message;
    std::string what() const;  // "FILE: KEY: MESSAGE"
};

}  // namespace tickerd

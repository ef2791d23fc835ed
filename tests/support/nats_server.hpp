#pragma once
// A real nats-server with JetStream for the cluster tests: on a free loopback
// port, its store in a temp dir of its own, optionally one node of a cluster
// (routes to the others). It can be killed (SIGKILL) and started again on the
// same port and store, like a crashed and restarted server.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/free_port.hpp"

namespace tickerd::test {

// True when `nats-server` is on PATH (else the test is skipped: skip.hpp).
bool have_nats_server();

struct nats_node_options {
    std::string name = "n1";
    std::uint16_t port = 0;                    // 0: a free one
    std::uint16_t cluster_port = 0;            // nonzero: a cluster node listening for routes here
    std::vector<std::uint16_t> route_ports;    // the other nodes' cluster ports
};

class nats_server {
public:
    explicit nats_server(nats_node_options options = {});  // starts and waits until it accepts clients
    ~nats_server();  // SIGKILL, removes its store
    nats_server(const nats_server&) = delete;
    nats_server& operator=(const nats_server&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const;  // "nats://127.0.0.1:PORT"

    void kill();   // SIGKILL, waits for the exit
    void start();  // again, on the same port and store dir; waits until it accepts clients
    bool running();
    std::string log_tail(std::size_t lines = 30) const;

private:
    nats_node_options options_;
    std::uint16_t port_ = 0;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

}  // namespace tickerd::test

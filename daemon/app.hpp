#pragma once
// Wires a validated config into a running daemon: io threads, store, hub,
// pollers, listener, signals. run() returns the process exit status.
#include "tickerd/config.hpp"

namespace tickerd {

int run_daemon(const config& cfg);

}  // namespace tickerd

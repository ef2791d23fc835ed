#pragma once
// A free TCP port on 127.0.0.1 for a test that needs to know its port before
// something listens on it, or to let it go and listen on it again (a server
// stopped and restarted on the same port).
#include <cstdint>

namespace tickerd::test {

// A port that nothing on 127.0.0.1 uses now, picked at random below the
// kernel's ephemeral range (net.ipv4.ip_local_port_range). connect() and
// bind(0), which every other test uses, only hand out ports inside that range,
// so while this port is let go no other test's connection or listener takes it.
std::uint16_t free_loopback_port();

}  // namespace tickerd::test

#pragma once
// Each client holds one file descriptor: raise the soft RLIMIT_NOFILE to the
// hard limit at start so max_connections, not the default 1024, is what binds.
#include <cstdint>

namespace tickerd {

// Returns the soft limit now in force.
std::uint64_t raise_open_file_limit();

}  // namespace tickerd

#include "ops/fd_limit.hpp"

#include <sys/resource.h>

namespace tickerd {

std::uint64_t raise_open_file_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit want = lim;
        want.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
    }
    return static_cast<std::uint64_t>(lim.rlim_cur);
}

}  // namespace tickerd

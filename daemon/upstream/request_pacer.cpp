#include "upstream/request_pacer.hpp"

#include <algorithm>

namespace tickerd {

request_pacer::clock::time_point request_pacer::reserve(clock::time_point now) {
    std::scoped_lock lk(mu_);
    const clock::time_point slot = any_ ? std::max(now, last_ + spacing_) : now;
    any_ = true;
    last_ = slot;
    return slot;
}

}  // namespace tickerd

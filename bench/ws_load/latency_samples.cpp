#include "latency_samples.hpp"

#include <algorithm>
#include <cmath>

namespace ws_load {

void latency_samples::sort_once() {
    if (sorted_size_ == samples_.size()) return;
    std::sort(samples_.begin(), samples_.end());
    sorted_size_ = samples_.size();
}

double latency_samples::percentile_ms(double q) {
    if (samples_.empty()) return 0;
    sort_once();
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_.size())));
    const std::size_t i = rank == 0 ? 0 : std::min(rank, samples_.size()) - 1;
    return static_cast<double>(samples_[i]) / 1000.0;
}

double latency_samples::max_ms() {
    if (samples_.empty()) return 0;
    sort_once();
    return static_cast<double>(samples_.back()) / 1000.0;
}

}  // namespace ws_load

#pragma once
// Probe latencies (µs) and their percentiles.
#include <cstdint>
#include <vector>

namespace ws_load {

class latency_samples {
public:
    void add(std::int64_t us) { samples_.push_back(us); }
    void clear() { samples_.clear(); }
    std::size_t count() const { return samples_.size(); }
    // q in [0, 1], nearest rank, in milliseconds; 0 without samples. Sorts on first use after an add.
    double percentile_ms(double q);
    double max_ms();

private:
    std::vector<std::int64_t> samples_;
    std::size_t sorted_size_ = 0;
    void sort_once();
};

}  // namespace ws_load

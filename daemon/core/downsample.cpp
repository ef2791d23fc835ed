#include "tickerd/downsample.hpp"

#include <algorithm>
#include <cmath>

namespace tickerd {

std::vector<history_point> downsample_lttb(const std::vector<history_point>& series, std::size_t max_points) {
    const std::size_t n = series.size();
    const std::size_t k = std::max<std::size_t>(max_points, 2);
    if (n <= k) return series;
    std::vector<history_point> out;
    out.reserve(k);
    out.push_back(series.front());
    // Times relative to the first point, so the doubles stay small and exact.
    const auto origin = series.front().t;
    const auto x = [&](std::size_t i) { return static_cast<double>((series[i].t - origin).count()); };
    const auto y = [&](std::size_t i) { return series[i].price.to_double(); };
    // The n - 2 inner points fall into k - 2 buckets; bucket b is [start(b), start(b + 1)).
    // Integer bounds: every bucket holds at least one point, and the last one ends at n - 1.
    const std::size_t inner = n - 2;
    const std::size_t buckets = k - 2;
    const auto start = [&](std::size_t b) { return 1 + b * inner / buckets; };
    std::size_t kept = 0;  // index of the point chosen in the previous bucket
    for (std::size_t b = 0; b < buckets; ++b) {
        // The third corner: the mean of the next bucket (the last point after the last bucket).
        const std::size_t next_begin = start(b + 1);
        const std::size_t next_end = b + 1 < buckets ? start(b + 2) : n;
        double mx = 0;
        double my = 0;
        for (std::size_t i = next_begin; i < next_end; ++i) {
            mx += x(i);
            my += y(i);
        }
        const auto count = static_cast<double>(next_end - next_begin);
        mx /= count;
        my /= count;
        const double ax = x(kept);
        const double ay = y(kept);
        std::size_t best = start(b);
        double best_area = -1;
        for (std::size_t i = start(b); i < next_begin; ++i) {
            // Twice the triangle's area; only the comparison matters.
            const double area = std::abs((ax - mx) * (y(i) - ay) - (ax - x(i)) * (my - ay));
            if (area > best_area) {
                best_area = area;
                best = i;
            }
        }
        out.push_back(series[best]);
        kept = best;
    }
    out.push_back(series.back());
    return out;
}

}  // namespace tickerd

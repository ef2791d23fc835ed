#pragma once
// Shape-preserving downsampling of a price series for sparklines: largest
// triangle three buckets (LTTB). Pure.
#include <cstddef>
#include <vector>

#include "tickerd/price_history.hpp"

namespace tickerd {

// At most `max_points` of `series` (oldest first), chosen to keep its visible
// shape: the first and the last point always; in between, one point per equal
// bucket, the one that spans the largest triangle with the point kept before it
// and the mean of the next bucket (so a spike's extreme is kept). A series of
// `max_points` or fewer is returned unchanged; otherwise exactly `max_points`
// points come back, in time order, each one of the input. A `max_points` below
// 2 counts as 2.
std::vector<history_point> downsample_lttb(const std::vector<history_point>& series, std::size_t max_points);

}  // namespace tickerd

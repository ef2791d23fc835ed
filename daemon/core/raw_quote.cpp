#include "tickerd/raw_quote.hpp"

namespace tickerd {

reference_kind wanted_reference(asset_class cls) {
    return cls == asset_class::crypto ? reference_kind::open_24h : reference_kind::previous_close;
}

std::string_view to_string(feed_error_kind k) {
    switch (k) {
        case feed_error_kind::malformed: return "malformed";
        case feed_error_kind::upstream_error: return "upstream_error";
        case feed_error_kind::rate_limited: return "rate_limited";
        case feed_error_kind::no_data: return "no_data";
        case feed_error_kind::bad_price: return "bad_price";
    }
    return "unknown";
}

}  // namespace tickerd

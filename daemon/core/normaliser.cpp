#include "tickerd/normaliser.hpp"

#include <fmt/format.h>

#include "tickerd/utf8.hpp"

namespace tickerd {

feed_result<quote> normalise(const raw_quote& raw, const symbol_config& sym, std::string_view source,
                             reference_kind kind, std::optional<decimal> previous_reference, time_point now) {
    if (!raw.price.is_positive()) {
        return feed_error{feed_error_kind::bad_price, fmt::format("price {} is not positive", raw.price.to_string())};
    }
    std::optional<decimal> ref = raw.reference;
    if (!ref || (kind != wanted_reference(sym.cls) && previous_reference)) ref = previous_reference;
    if (!ref) return feed_error{feed_error_kind::no_data, "reply has no reference price"};
    if (!ref->is_positive()) {
        return feed_error{feed_error_kind::bad_price, fmt::format("reference price {} is not positive", ref->to_string())};
    }
    // A wrong currency (HKD quoted as USD, pence as pounds) is a wrong price on the page.
    if (!raw.currency.empty() && raw.currency != sym.currency) {
        return feed_error{feed_error_kind::upstream_error,
                          fmt::format("upstream currency {} differs from configured {}", utf8_prefix(raw.currency, 8),
                                      sym.currency)};
    }
    quote q;
    q.symbol = sym.id;
    q.price = raw.price;
    q.ref_price = *ref;
    q.change = q.price - q.ref_price;
    q.change_pct = percent_change(q.price, q.ref_price);
    q.dir = q.change.is_positive() ? direction::up : q.change.is_negative() ? direction::down : direction::flat;
    // A configured calendar decides, at the time of receipt; the upstream's own state is used only without one.
    q.market = sym.calendar                        ? state_at(*sym.calendar, now)
               : sym.cls == asset_class::crypto ? market_state::always
                                                : raw.market;
    q.source = std::string(source);
    // An upstream clock far in the future would make a quote look fresh forever.
    q.as_of = raw.as_of && *raw.as_of <= now + std::chrono::hours(1) ? *raw.as_of : now;
    q.received_at = now;
    return q;
}

}  // namespace tickerd

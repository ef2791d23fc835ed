#include "tickerd/decimal.hpp"

#include <cstdlib>
#include <limits>

namespace tickerd {
namespace {

__extension__ typedef __int128 int128;  // NOLINT(modernize-use-using): __extension__ needs typedef

constexpr std::int64_t pow10(int n) {
    std::int64_t r = 1;
    for (int i = 0; i < n; ++i) r *= 10;
    return r;
}

// Divides by 10^shift, rounding half away from zero.
int128 shift_round(int128 v, int shift) {
    if (shift <= 0) return v;
    int128 p = 1;
    for (int i = 0; i < shift; ++i) p *= 10;
    const bool neg = v < 0;
    int128 a = neg ? -v : v;
    int128 q = a / p;
    if ((a % p) * 2 >= p) ++q;
    return neg ? -q : q;
}

}  // namespace

std::optional<decimal> decimal::parse(std::string_view s) {
    std::size_t i = 0;
    bool neg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    // Mantissa digits, at most 38 significant ones kept exactly in an __int128.
    int128 mant = 0;
    int digits = 0;      // significant digits accumulated
    int frac_digits = 0; // digits of mant that are after the point
    int dropped = 0;     // integer digits dropped because mant was full (scale up later)
    bool any = false;
    bool int_any = false;  // JSON requires a digit before the point: ".5" is not a number
    bool round_up_dropped = false;
    auto take = [&](char c, bool fractional) {
        any = true;
        if (digits == 0 && c == '0') {
            if (fractional) ++frac_digits;
            return;
        }
        if (digits < 36) {
            mant = mant * 10 + (c - '0');
            ++digits;
            if (fractional) ++frac_digits;
        } else if (!fractional) {
            ++dropped;  // far beyond range anyway; caught by the range check
        } else if (!round_up_dropped && c >= '5' && frac_digits < 60) {
            // Only the first dropped fractional digit decides rounding; later ones are ignored.
            round_up_dropped = true;
        }
    };
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        take(s[i++], false);
        int_any = true;
    }
    if (!int_any) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
        ++i;
        bool frac_any = false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            take(s[i++], true);
            frac_any = true;
        }
        if (!frac_any) return std::nullopt;
    }
    if (!any) return std::nullopt;
    long exp = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool eneg = false;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        bool eany = false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (exp < 100000) exp = exp * 10 + (s[i] - '0');
            ++i;
            eany = true;
        }
        if (!eany) return std::nullopt;
        if (eneg) exp = -exp;
    }
    if (i != s.size()) return std::nullopt;
    if (round_up_dropped) {
        // Represent the dropped half as one more digit so shift_round sees it.
        mant = mant * 10 + 5;
        ++frac_digits;
    }
    // value = mant * 10^(dropped + exp - frac_digits); want units = value * 10^8.
    long e = dropped + exp - frac_digits + scale;
    if (mant == 0) return decimal{0};
    int128 units = 0;
    if (e >= 0) {
        if (e > 19) return std::nullopt;
        units = mant;
        for (long k = 0; k < e; ++k) {
            units *= 10;
            if (units > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
        }
    } else {
        // mant < 10^37, so a shift of 38 or more rounds to zero (and 10^39 overflows 128 bits).
        if (-e > 38) return decimal{0};
        units = shift_round(mant, static_cast<int>(-e));
    }
    if (units > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
    auto u = static_cast<std::int64_t>(units);
    return decimal{neg ? -u : u};
}

decimal decimal::rounded(int places) const {
    if (places >= scale) return *this;
    if (places < 0) places = 0;
    const int shift = scale - places;
    int128 r = shift_round(units_, shift) * pow10(shift);
    // Rounding away from zero can leave the int64 range at the extremes; step back toward zero.
    if (r > std::numeric_limits<std::int64_t>::max()) r -= pow10(shift);
    if (r < -std::numeric_limits<std::int64_t>::max()) r += pow10(shift);
    return decimal{static_cast<std::int64_t>(r)};
}

std::string decimal::to_string(int places) const {
    if (places < 0) places = 0;
    if (places > scale) places = scale;
    // Rounded in 128 bits: at the int64 extremes the rounded value does not fit in a decimal.
    const int128 r = shift_round(units_, scale - places) * pow10(scale - places);
    const int128 a = r < 0 ? -r : r;
    std::string out = r < 0 ? "-" : "";
    out += std::to_string(static_cast<std::uint64_t>(a / one));
    if (places > 0) {
        std::string frac = std::to_string(static_cast<std::uint64_t>(a % one));
        frac.insert(0, static_cast<std::size_t>(scale) - frac.size(), '0');
        out += '.';
        out.append(frac, 0, static_cast<std::size_t>(places));
    }
    return out;
}

std::string decimal::to_string() const {
    std::string s = to_string(scale);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

std::string decimal::to_grouped(int places) const {
    std::string s = to_string(places);
    const std::size_t start = s[0] == '-' ? 1 : 0;
    std::size_t end = s.find('.');
    if (end == std::string::npos) end = s.size();
    for (std::size_t pos = end; pos > start + 3; pos -= 3) s.insert(pos - 3, 1, ',');
    return s;
}

decimal percent_change(decimal price, decimal reference) {
    if (!reference.is_positive()) return decimal{};
    const int128 diff = static_cast<int128>(price.units()) - reference.units();
    // diff/ref * 100 in units of 1e-8: diff * 100 * 1e8 / ref, rounded.
    const int128 num = diff * 100 * decimal::one;
    const int128 den = reference.units();
    const bool neg = num < 0;
    const int128 a = neg ? -num : num;
    int128 q = a / den;
    if ((a % den) * 2 >= den) ++q;
    if (q > std::numeric_limits<std::int64_t>::max()) q = std::numeric_limits<std::int64_t>::max();
    const auto u = static_cast<std::int64_t>(q);
    return decimal::from_units(neg ? -u : u);
}

}  // namespace tickerd

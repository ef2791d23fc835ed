#pragma once
// Exact fixed-point prices: an int64 count of 1e-8 units. Upstream numbers are
// parsed from their decimal text, never through binary floating point.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tickerd {

class decimal {
public:
    static constexpr int scale = 8;
    static constexpr std::int64_t one = 100'000'000;

    constexpr decimal() = default;
    static constexpr decimal from_units(std::int64_t units) { return decimal{units}; }
    static constexpr decimal from_int(std::int64_t whole) { return decimal{whole * one}; }

    // JSON-number grammar (sign, digits, fraction, exponent) and a leading '+'.
    // Digits past 8 decimals are rounded half away from zero. Returns nullopt for
    // anything else: empty, "NaN", "Infinity", hex, or a value beyond ±9.2e10.
    static std::optional<decimal> parse(std::string_view text);

    constexpr std::int64_t units() const { return units_; }
    constexpr bool is_zero() const { return units_ == 0; }
    constexpr bool is_positive() const { return units_ > 0; }
    constexpr bool is_negative() const { return units_ < 0; }

    // Rounded half away from zero to `places` decimals (0..8).
    decimal rounded(int places) const;
    // "1284.30" with exactly `places` decimals, '-' for negatives.
    std::string to_string(int places) const;
    // Shortest exact form: "1284.3", "0.00021692", "25412".
    std::string to_string() const;
    // "1,284.30": thousands separators, for display.
    std::string to_grouped(int places) const;
    double to_double() const { return static_cast<double>(units_) / static_cast<double>(one); }

    friend constexpr decimal operator+(decimal a, decimal b) { return decimal{a.units_ + b.units_}; }
    friend constexpr decimal operator-(decimal a, decimal b) { return decimal{a.units_ - b.units_}; }
    friend constexpr decimal operator-(decimal a) { return decimal{-a.units_}; }
    friend constexpr auto operator<=>(decimal, decimal) = default;
    friend constexpr bool operator==(decimal, decimal) = default;

private:
    constexpr explicit decimal(std::int64_t units) : units_(units) {}
    std::int64_t units_ = 0;
};

// (price - reference) / reference * 100, exact to 8 decimals (rounded half away
// from zero). reference must be positive.
decimal percent_change(decimal price, decimal reference);

}  // namespace tickerd

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "tickerd/decimal.hpp"

using tickerd::decimal;

namespace {

std::int64_t units_of(const char* text) {
    const auto d = decimal::parse(text);
    INFO("parse(\"" << text << "\")");
    REQUIRE(d.has_value());
    return d->units();
}

decimal dec(const char* text) {
    const auto d = decimal::parse(text);
    INFO("parse(\"" << text << "\")");
    REQUIRE(d.has_value());
    return *d;
}

constexpr std::int64_t max_units = std::numeric_limits<std::int64_t>::max();

}  // namespace

TEST_CASE("decimal parses plain JSON numbers exactly", "[decimal]") {
    CHECK(units_of("1284.30") == 128'430'000'000);
    CHECK(units_of("1284.3") == 128'430'000'000);
    CHECK(units_of("71420.0") == 7'142'000'000'000);
    CHECK(units_of("25412") == 2'541'200'000'000);
    CHECK(units_of("0.00021692") == 21'692);
    CHECK(units_of("0") == 0);
    CHECK(units_of("-0") == 0);
    CHECK(units_of("0.0") == 0);
    CHECK(units_of("-1.5") == -150'000'000);
    CHECK(units_of("+1.5") == 150'000'000);
    CHECK(units_of("0.00000001") == 1);
    CHECK(units_of("145.88") == 14'588'000'000);
    // Values a double cannot hold exactly stay exact.
    CHECK(units_of("0.1") == 10'000'000);
    CHECK(units_of("70825.07") == 7'082'507'000'000);
}

TEST_CASE("decimal parses exponents", "[decimal]") {
    CHECK(units_of("1.2843e3") == 128'430'000'000);
    CHECK(units_of("12843E-1") == 128'430'000'000);
    CHECK(units_of("1E+2") == 10'000'000'000);
    CHECK(units_of("1e0") == 100'000'000);
    CHECK(units_of("1e-8") == 1);
    CHECK(units_of("-2.5e-7") == -25);
    CHECK(units_of("0.00071420e8") == 7'142'000'000'000);
    CHECK(units_of("9.2e10") == 9'200'000'000'000'000'000);
    // Tiny values round to zero instead of overflowing the intermediate maths.
    CHECK(units_of("1e-20") == 0);
    CHECK(units_of("1e-38") == 0);
    CHECK(units_of("1e-39") == 0);
    CHECK(units_of("1e-40") == 0);
    CHECK(units_of("1e-41") == 0);
    CHECK(units_of("1e-47") == 0);  // 10^39 and 10^40 do not fit the 128-bit intermediate
    CHECK(units_of("1e-48") == 0);
    CHECK(units_of("9.9e-47") == 0);
    CHECK(units_of("-9.9e-47") == 0);
    CHECK(units_of("123456789e-48") == 0);
    CHECK(units_of("999999999999999999999999999999999999e-83") == 0);
    CHECK(units_of("9.99e-39") == 0);
    CHECK(units_of("-7e-39") == 0);
    CHECK(units_of("1e-400") == 0);
    CHECK(units_of("0e400") == 0);
    CHECK(units_of("0.00000000000000000000000000000000000000000000001") == 0);
    CHECK(units_of("0.000000000000000000000000000000000000006") == 0);
}

TEST_CASE("decimal rounds past 8 decimals half away from zero", "[decimal]") {
    CHECK(units_of("0.000000005") == 1);
    CHECK(units_of("-0.000000005") == -1);
    CHECK(units_of("0.0000000049999999") == 0);
    CHECK(units_of("0.000000015") == 2);
    CHECK(units_of("0.000000025") == 3);  // not banker's rounding
    CHECK(units_of("-0.000000025") == -3);
    CHECK(units_of("5e-9") == 1);
    CHECK(units_of("4.9e-9") == 0);
    CHECK(units_of("1.123456785") == 112'345'679);
    CHECK(units_of("1.123456784999") == 112'345'678);
    CHECK(units_of("0.12345678901234567890123456789012345678901234567890") == 12'345'679);
    CHECK(units_of("0.99999999999999999999999999999999999999999999999999") == 100'000'000);
}

TEST_CASE("decimal parses float32-widened doubles to 8 decimals", "[decimal]") {
    // Yahoo indicator values are float32 widened to double.
    CHECK(units_of("1284.300048828125") == 128'430'004'883);
    CHECK(dec("1284.300048828125").rounded(2) == dec("1284.30"));
    CHECK(units_of("142.8000030517578") == 14'280'000'305);
    CHECK(dec("142.8000030517578").to_string(2) == "142.80");
    CHECK(units_of("145.10000610351562") == 14'510'000'610);
    CHECK(units_of("71040.7734375") == 7'104'077'343'750);
    CHECK(units_of("336.0736083984375") == 33'607'360'840);
}

TEST_CASE("decimal accepts the int64 range and no more", "[decimal]") {
    CHECK(units_of("92233720368.54775807") == max_units);
    CHECK(units_of("-92233720368.54775807") == -max_units);
    CHECK_FALSE(decimal::parse("92233720368.54775808").has_value());
    CHECK_FALSE(decimal::parse("92233720368.547758075").has_value());  // rounds up past the max
    CHECK_FALSE(decimal::parse("9.3e10").has_value());
    CHECK_FALSE(decimal::parse("1e11").has_value());
    CHECK_FALSE(decimal::parse("1e19").has_value());
    CHECK_FALSE(decimal::parse("1e400").has_value());
    CHECK_FALSE(decimal::parse("-1e400").has_value());
    CHECK_FALSE(decimal::parse("123456789012345678901234567890123456789012345").has_value());
}

TEST_CASE("decimal rejects what is not a JSON number", "[decimal]") {
    const char* bad[] = {"",        "NaN",   "nan",  "Infinity", "-Infinity", "inf", "--1",  "+-1", "-+1",
                         "0x10",    "1.",    ".5",   "-.5",      "+.5",       ".",   "-",    "+",   "e5",
                         "1e",      "1e+",   "1e-",  "1e5.5",    " 1",        "1 ",  "1,000", "1.2.3", "1_000",
                         "\"1.5\"", "1.5f",  "١",    "1e+-5",    "1..5",      "true", "null"};
    for (const char* text : bad) {
        INFO("parse(\"" << text << "\")");
        CHECK_FALSE(decimal::parse(text).has_value());
    }
}

TEST_CASE("decimal::to_string with fixed places", "[decimal]") {
    CHECK(dec("1284.3").to_string(2) == "1284.30");
    CHECK(dec("1284.3").to_string(0) == "1284");
    CHECK(dec("1284.5").to_string(0) == "1285");
    CHECK(dec("-1284.5").to_string(0) == "-1285");
    CHECK(dec("0.5").to_string(0) == "1");
    CHECK(dec("-0.5").to_string(0) == "-1");
    CHECK(dec("-0.004").to_string(2) == "0.00");  // no "-0.00"
    CHECK(dec("-1284.305").to_string(2) == "-1284.31");
    CHECK(dec("0.00021692").to_string(8) == "0.00021692");
    CHECK(dec("0.00021692").to_string(4) == "0.0002");
    CHECK(dec("25412").to_string(3) == "25412.000");
    CHECK(dec("999.995").to_string(2) == "1000.00");
    CHECK(decimal{}.to_string(2) == "0.00");
    // Out-of-range places are clamped.
    CHECK(dec("1.23456789").to_string(12) == "1.23456789");
    CHECK(dec("1.5").to_string(-3) == "2");
    // The extremes do not overflow when rounding up.
    CHECK(decimal::from_units(max_units).to_string(8) == "92233720368.54775807");
    CHECK(decimal::from_units(max_units).to_string(2) == "92233720368.55");
    CHECK(decimal::from_units(max_units).to_string(0) == "92233720369");
    CHECK(decimal::from_units(-max_units).to_string(2) == "-92233720368.55");
    CHECK(decimal::from_units(std::numeric_limits<std::int64_t>::min()).to_string(8) == "-92233720368.54775808");
}

TEST_CASE("decimal::to_string shortest form", "[decimal]") {
    CHECK(dec("1284.30").to_string() == "1284.3");
    CHECK(dec("0.00021692").to_string() == "0.00021692");
    CHECK(dec("25412.0").to_string() == "25412");
    CHECK(dec("71420.00").to_string() == "71420");
    CHECK(dec("-0.5").to_string() == "-0.5");
    CHECK(dec("10").to_string() == "10");
    CHECK(decimal{}.to_string() == "0");
}

TEST_CASE("decimal::to_grouped", "[decimal]") {
    CHECK(dec("1284.3").to_grouped(2) == "1,284.30");
    CHECK(dec("71420").to_grouped(2) == "71,420.00");
    CHECK(dec("25412").to_grouped(0) == "25,412");
    CHECK(dec("123").to_grouped(2) == "123.00");
    CHECK(dec("-123").to_grouped(0) == "-123");
    CHECK(dec("1000").to_grouped(0) == "1,000");
    CHECK(dec("-1234567.891").to_grouped(2) == "-1,234,567.89");
    CHECK(dec("999.995").to_grouped(2) == "1,000.00");
    CHECK(dec("0.5").to_grouped(2) == "0.50");
    CHECK(decimal::from_units(max_units).to_grouped(2) == "92,233,720,368.55");
}

TEST_CASE("decimal::rounded", "[decimal]") {
    CHECK(dec("1.005").rounded(2) == dec("1.01"));
    CHECK(dec("-1.005").rounded(2) == dec("-1.01"));
    CHECK(dec("1.004999").rounded(2) == dec("1.00"));
    CHECK(dec("25412.5").rounded(0) == dec("25413"));
    CHECK(dec("1.23456789").rounded(8) == dec("1.23456789"));
    CHECK(dec("1.23456789").rounded(12) == dec("1.23456789"));
    CHECK(dec("1.5").rounded(-1) == dec("2"));
    // Rounding up past the largest value stays in range (toward zero instead).
    CHECK(decimal::from_units(max_units).rounded(2) == dec("92233720368.54"));
    CHECK(decimal::from_units(-max_units).rounded(2) == dec("-92233720368.54"));
}

TEST_CASE("decimal arithmetic and ordering", "[decimal]") {
    CHECK(dec("1284.30") - dec("1266.32") == dec("17.98"));
    CHECK(dec("0.1") + dec("0.2") == dec("0.3"));
    CHECK(-dec("1.5") == dec("-1.5"));
    CHECK(dec("1.5") < dec("1.50000001"));
    CHECK(dec("-2") < dec("-1"));
    CHECK(decimal::from_int(71420) == dec("71420.00"));
    CHECK(dec("2.5").is_positive());
    CHECK(dec("-2.5").is_negative());
    CHECK(dec("0.0").is_zero());
    CHECK(dec("1284.3").to_double() == Approx(1284.3));
}

TEST_CASE("percent_change is exact to 8 decimals", "[decimal]") {
    using tickerd::percent_change;
    // NVDA: 17.98 / 1266.32 * 100 = 1.419862278...
    CHECK(percent_change(dec("1284.30"), dec("1266.32")).units() == 141'986'228);
    CHECK(percent_change(dec("1284.30"), dec("1266.32")).to_string() == "1.41986228");
    CHECK(percent_change(dec("1284.30"), dec("1266.32")).to_string(2) == "1.42");
    // 9988.HK: -3.08 / 145.88 * 100 = -2.111324376... (half away from zero)
    CHECK(percent_change(dec("142.80"), dec("145.88")).to_string() == "-2.11132438");
    // BTC vs the 24 h open: 594.93 / 70825.07 * 100 = 0.839999169...
    CHECK(percent_change(dec("71420.00"), dec("70825.07")).to_string() == "0.83999917");
    // USD/VND: -7.6 / 25419.6 * 100 = -0.029898188...
    CHECK(percent_change(dec("25412"), dec("25419.6")).to_string() == "-0.02989819");
    CHECK(percent_change(dec("100"), dec("100")).is_zero());
    CHECK(percent_change(dec("150"), dec("100")) == dec("50"));
    CHECK(percent_change(dec("0.5"), dec("1")) == dec("-50"));
    // 1/3 % and 2/3 %: rounding at the 8th decimal, both signs.
    CHECK(percent_change(dec("100.33333333"), dec("100")) == dec("0.33333333"));
    CHECK(percent_change(dec("1.00000002"), dec("3")) == dec("-66.66666600"));
    CHECK(percent_change(dec("2"), dec("3")) == dec("-33.33333333"));
    CHECK(percent_change(dec("4"), dec("3")) == dec("33.33333333"));
    CHECK(percent_change(dec("5"), dec("3")) == dec("66.66666667"));
    CHECK(percent_change(dec("1"), dec("3")) == dec("-66.66666667"));
    // A non-positive reference gives zero rather than dividing by it.
    CHECK(percent_change(dec("1"), decimal{}).is_zero());
    CHECK(percent_change(dec("1"), dec("-1")).is_zero());
}

// The shipped calendars file: the config's `calendars` key names it, its
// [markets.NAME] dates reach the symbols' calendars, the config's own tables
// override or extend it, and its errors name the file and the key in it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "settings/config_loader.hpp"

using namespace tickerd;
using namespace std::chrono;

namespace {

const std::string nvda_xnas = R"(
[providers.yahoo]
base_url = "https://example.com"

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
market = "XNAS"
)";

const calendars_file shipped{"/usr/share/tickerd/calendars.toml", R"(
[markets.XNAS]
holidays = ["2026-12-25"]
half_days = ["2026-11-27"]

[markets.XTST]
timezone = "Europe/London"
regular = ["08:00-16:30"]
)"};

bool has(const std::vector<year_month_day>& days, year_month_day d) {
    return std::find(days.begin(), days.end(), d) != days.end();
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("calendars: the shipped dates reach the symbol's calendar", "[config][calendars]") {
    auto with = parse_config("calendars = \"calendars.toml\"\n" + nvda_xnas, "t.toml", &shipped);
    REQUIRE(with.ok());
    const auto& cal = *with->symbols[0].calendar;
    CHECK(cal.timezone == "America/New_York");  // the built-in's sessions are kept
    CHECK(has(cal.holidays, 2026y / December / 25));
    CHECK(has(cal.half_days, 2026y / November / 27));
    // Without the file (or the key), the built-in has no dates.
    auto without = parse_config(nvda_xnas, "t.toml");
    REQUIRE(without.ok());
    CHECK(without->symbols[0].calendar->holidays.empty());
}

TEST_CASE("calendars: a config table overrides the keys it gives and may add markets", "[config][calendars]") {
    auto r = parse_config("calendars = \"calendars.toml\"\n" + nvda_xnas + R"(
[[symbols]]
id = "VOD.L"
class = "equity"
currency = "GBp"
sources = ["yahoo:VOD.L"]
market = "XTST"

[markets.XNAS]
holidays = ["2026-07-03"]
)",
                          "t.toml", &shipped);
    REQUIRE(r.ok());
    const auto& xnas = *r->symbols[0].calendar;
    CHECK(has(xnas.holidays, 2026y / July / 3));
    CHECK_FALSE(has(xnas.holidays, 2026y / December / 25));  // replaced, not merged
    CHECK(has(xnas.half_days, 2026y / November / 27));       // not given: the shipped value stays
    CHECK(r->symbols[1].calendar->timezone == "Europe/London");  // a market only the file defines
}

TEST_CASE("calendars: an error in the file names the file and the key in it", "[config][calendars]") {
    const calendars_file bad{"/x/calendars.toml", "[markets.XNAS]\nholidays = [\"2026-02-30\"]\n"};
    auto r = parse_config("calendars = \"calendars.toml\"\n" + nvda_xnas, "t.toml", &bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().key == "calendars");
    CHECK(r.error().what().find("\"/x/calendars.toml\": markets.XNAS.holidays[0]: ") != std::string::npos);
    const calendars_file stray{"/x/calendars.toml", "log_level = \"info\"\n"};
    auto s = parse_config("calendars = \"calendars.toml\"\n" + nvda_xnas, "t.toml", &stray);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().what().find("log_level: unknown key") != std::string::npos);
    CHECK_FALSE(parse_config("calendars = \"\"\n" + nvda_xnas, "t.toml").ok());
    CHECK_FALSE(parse_config("calendars = 3\n" + nvda_xnas, "t.toml").ok());
}

TEST_CASE("calendars: load_config reads the file next to the config, or fails naming it", "[config][calendars]") {
    const auto dir = std::filesystem::temp_directory_path() / "tickerd-calendars-test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "t.toml") << "calendars = \"dates.toml\"\n" << nvda_xnas;
    auto missing = load_config((dir / "t.toml").string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().key == "calendars");
    CHECK(missing.error().what().find((dir / "dates.toml").string()) != std::string::npos);
    std::ofstream(dir / "dates.toml") << shipped.text;
    auto found = load_config((dir / "t.toml").string());
    REQUIRE(found.ok());
    CHECK(has(found->symbols[0].calendar->holidays, 2026y / December / 25));
    std::filesystem::remove_all(dir);
}

TEST_CASE("calendars: the shipped config lists no dates and reads them from calendars.toml", "[config][calendars]") {
    const std::filesystem::path config_dir = std::string(TICKERD_SOURCE_DIR) + "/config";
    const std::string text = read_text(config_dir / "tickerd.toml");
    // No key or table of dates, only comments may mention them.
    CHECK_FALSE(std::regex_search(text, std::regex(R"((^|\n)\s*(holidays|half_days)\s*=)")));
    CHECK_FALSE(std::regex_search(text, std::regex(R"((^|\n)\s*\[markets\.)")));
    CHECK(std::regex_search(text, std::regex(R"((^|\n)calendars = "calendars.toml"\n)")));
    auto cfg = load_config((config_dir / "tickerd.toml").string());
    REQUIRE(cfg.ok());
    for (const auto& s : cfg->symbols) {
        INFO(s.id);
        if (s.market == "XNAS" || s.market == "XNYS" || s.market == "XHKG") CHECK(s.calendar->holidays.size() >= 10);
    }
}

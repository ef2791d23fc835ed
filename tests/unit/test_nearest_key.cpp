// "did you mean": the nearest known key for a misspelt config key.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

#include "settings/config_loader.hpp"
#include "settings/nearest_key.hpp"

using namespace tickerd;

TEST_CASE("edit_distance counts inserts, deletes, substitutions and swaps", "[config][did-you-mean]") {
    CHECK(edit_distance("interval", "interval") == 0);
    CHECK(edit_distance("Interval", "interval") == 0);  // case is not a slip of the finger, but a hint is still right
    CHECK(edit_distance("intervall", "interval") == 1);
    CHECK(edit_distance("intreval", "interval") == 1);  // two neighbours swapped
    CHECK(edit_distance("max_bakoff", "max_backoff") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("nearest_key suggests a close key and nothing for a far one", "[config][did-you-mean]") {
    const std::initializer_list<std::string_view> keys = {"base_url", "interval", "timeout", "max_backoff", "min_spacing"};
    CHECK(nearest_key("intervall", keys) == "interval");
    CHECK(nearest_key("max_bakoff", keys) == "max_backoff");
    CHECK(nearest_key("baseurl", keys) == "base_url");
    CHECK(nearest_key("Timeout", keys) == "timeout");
    CHECK_FALSE(nearest_key("colour", keys).has_value());
    CHECK_FALSE(nearest_key("x", keys).has_value());
    CHECK_FALSE(nearest_key("api_key", keys).has_value());
}

TEST_CASE("an unknown config key names the nearest known one", "[config][did-you-mean]") {
    const std::string symbols = R"(
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
)";
    auto r = parse_config("[providers.yahoo]\nbase_url = \"https://example.com\"\nintervall = \"5s\"\n" + symbols, "t.toml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().key == "providers.yahoo.intervall");
    CHECK(r.error().what().find("unknown key (line 3); did you mean \"interval\"?") != std::string::npos);

    auto top = parse_config("log_levle = \"info\"\n[providers.yahoo]\nbase_url = \"https://example.com\"\n" + symbols, "t.toml");
    REQUIRE_FALSE(top.ok());
    CHECK(top.error().what().find("did you mean \"log_level\"?") != std::string::npos);

    auto far = parse_config("[server]\nflavour = 1\n[providers.yahoo]\nbase_url = \"https://example.com\"\n" + symbols, "t.toml");
    REQUIRE_FALSE(far.ok());
    CHECK(far.error().what().find("unknown key") != std::string::npos);
    CHECK(far.error().what().find("did you mean") == std::string::npos);
}

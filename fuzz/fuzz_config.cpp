// Fuzzes daemon/config_loader.cpp: parse_config on arbitrary TOML text. A rejected
// file must be named in the error, with a message. The same bytes are also read
// as the shipped calendars file of a valid config: an error there is reported
// under the key "calendars".
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include <string>

#include "settings/config_loader.hpp"

namespace {

constexpr const char* config_with_calendars = R"(calendars = "calendars.toml"
[providers.yahoo]
base_url = "https://example.com"
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
market = "XNAS"
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const auto text = fuzz::as_text(data, size);
    const auto cfg = parse_config(text, "fuzz.toml");
    if (!cfg.ok()) {
        fuzz::check(cfg.error().file == "fuzz.toml");
        fuzz::check(!cfg.error().message.empty());
    }
    const calendars_file calendars{"calendars.toml", std::string(text)};
    const auto with = parse_config(config_with_calendars, "fuzz.toml", &calendars);
    if (!with.ok()) {
        fuzz::check(with.error().key == "calendars");
        fuzz::check(!with.error().message.empty());
    }
    return 0;
}

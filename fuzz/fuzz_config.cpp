// Fuzzes daemon/config_loader.cpp: parse_config on arbitrary TOML text. A rejected
// file must be named in the error, with a message.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include <string>

#include "settings/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const auto cfg = parse_config(fuzz::as_text(data, size), "fuzz.toml");
    if (!cfg.ok()) {
        fuzz::check(cfg.error().file == "fuzz.toml");
        fuzz::check(!cfg.error().message.empty());
    }
    return 0;
}

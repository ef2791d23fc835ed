// Fuzzes feeds/coinbase.cpp: the ticker and stats replies, split at the first NUL
// byte (the seeds are "ticker NUL stats", made by scripts/fuzz).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include <string_view>

#include "tickerd/feeds/coinbase.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const std::string_view in = fuzz::as_text(data, size);
    const auto nul = in.find('\0');
    const std::string_view ticker = in.substr(0, nul);
    const std::string_view stats = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
    fuzz::check_feed_result(feeds::parse_coinbase(fuzz::json_reply(ticker), fuzz::json_reply(stats)));
    (void)feeds::parse_rfc3339(ticker);
    return 0;
}

// Fuzzes feeds/kraken.cpp: a Kraken public Ticker reply body.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "tickerd/feeds/kraken.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    fuzz::check_feed_result(feeds::parse_kraken_ticker(fuzz::json_reply(fuzz::as_text(data, size))));
    return 0;
}

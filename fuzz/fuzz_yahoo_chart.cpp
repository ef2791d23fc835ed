// Fuzzes feeds/yahoo.cpp: a Yahoo v8 chart reply body.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "tickerd/feeds/yahoo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const time_point now{std::chrono::seconds{1'764'000'000}};
    fuzz::check_feed_result(feeds::parse_yahoo_chart(fuzz::json_reply(fuzz::as_text(data, size)), now));
    return 0;
}

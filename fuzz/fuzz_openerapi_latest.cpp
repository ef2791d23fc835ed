// Fuzzes feeds/openerapi.cpp: an open.er-api.com latest-rates reply body, for one pair.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "tickerd/feeds/openerapi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    fuzz::check_feed_result(feeds::parse_openerapi_latest(fuzz::json_reply(fuzz::as_text(data, size)), "USD/VND"));
    return 0;
}

// Fuzzes feeds/coinbase_ws.cpp: one Coinbase WebSocket text message.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include <variant>

#include "tickerd/feeds/coinbase_ws.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const auto event = feeds::parse_coinbase_ws_message(fuzz::as_text(data, size));
    if (!event.ok()) {
        fuzz::check_log_safe(event.error().message);
    } else if (const auto* t = std::get_if<feeds::coinbase_ws_ticker>(&event.value())) {
        fuzz::check(t->quote.price.is_positive());
    }
    return 0;
}

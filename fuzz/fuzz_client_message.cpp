// Fuzzes daemon/protocol.cpp: parse_client_message (one WebSocket text frame from
// a client), and the query-string helpers url_decode and split_symbol_list.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include <string>

#include "tickerd/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    const std::string_view text = fuzz::as_text(data, size);
    const auto message = parse_client_message(text);
    if (!message.ok()) fuzz::check(!message.error().empty());
    if (const auto decoded = url_decode(text)) {
        fuzz::check(decoded->size() <= text.size());
        for (const std::string& s : split_symbol_list(*decoded)) fuzz::check(!s.empty());
    }
    return 0;
}

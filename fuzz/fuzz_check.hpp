#pragma once
// Checks every fuzz target applies to what a parser returns, beyond "does not
// crash": an error is a short single-line message (it goes to the log as it is),
// and a quote has a positive price. A failed check traps, so libFuzzer keeps the
// input as a crash reproducer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tickerd/feeds/registry.hpp"

namespace tickerd::fuzz {

inline void check(bool ok) {
    if (!ok) __builtin_trap();
}

inline void check_log_safe(std::string_view message, std::size_t max = 200) {
    check(!message.empty());
    check(message.size() <= max);
    check(message.find('\n') == std::string_view::npos);
    check(message.find('\r') == std::string_view::npos);
}

inline void check_feed_result(const feed_result<raw_quote>& r) {
    if (!r.ok()) {
        check_log_safe(r.error().message);
        return;
    }
    check(r->price.is_positive());
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// One HTTP 200 JSON reply with the fuzzer's bytes as the body.
inline http_reply json_reply(std::string_view body) { return http_reply{200, "application/json", body}; }

}  // namespace tickerd::fuzz

#include "tickerd/utf8.hpp"

namespace tickerd {

std::size_t utf8_char_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // no overlong forms
        if (c == 0xED) hi = 0x9F;  // no surrogates (U+D800..U+DFFF)
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;  // no overlong forms
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return 0;  // a continuation byte, C0/C1 (overlong), F5..FF
    }
    if (s.size() - i < n) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return n;
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_char_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
    std::size_t end = 0;
    while (end < s.size()) {
        const std::size_t n = utf8_char_length(s, end);
        const std::size_t step = n == 0 ? 1 : n;
        if (end + step > max_bytes) break;
        end += step;
    }
    return s.substr(0, end);
}

}  // namespace tickerd

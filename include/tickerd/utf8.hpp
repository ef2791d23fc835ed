#pragma once
// UTF-8 as the JSON texts tickerd writes need it (RFC 3629): which bytes form a
// valid character, and cutting a text without splitting one.
#include <cstddef>
#include <string_view>

namespace tickerd {

// The length (1-4) of the valid UTF-8 character that starts at s[i], or 0 when
// the bytes there are not one: a stray continuation byte, an overlong form, a
// surrogate, a code point above U+10FFFF, or a sequence cut short.
std::size_t utf8_char_length(std::string_view s, std::size_t i);

bool is_valid_utf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that ends on a
// character boundary (an invalid byte counts as one character).
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace tickerd

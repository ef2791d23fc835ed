#pragma once
// gzip (RFC 1952) of a byte string, in one call: a single member with a
// 10-byte header, the raw deflate stream, the CRC-32 and the length. Pure.
#include <string>
#include <string_view>

namespace tickerd {

// Level 1 (fastest) to 9 (smallest); out-of-range levels are clamped.
std::string gzip_compress(std::string_view data, int level = 6);

}  // namespace tickerd

#include "serve/gzip.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>

namespace tickerd {

namespace zlib = boost::beast::zlib;

namespace {

void put_le32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
    zlib::deflate_stream ds;
    // A 32 KiB window (the largest), the default memory level; Beast writes raw deflate.
    ds.reset(std::clamp(level, 1, 9), 15, 8, zlib::Strategy::normal);

    // Header: magic, CM = 8 (deflate), no flags, MTIME 0 (none), XFL, OS = 3 (Unix).
    std::string out{'\x1f', '\x8b', '\x08', '\x00', '\x00', '\x00', '\x00', '\x00',
                    static_cast<char>(level >= 9 ? 2 : level <= 1 ? 4 : 0), '\x03'};
    const std::size_t header = out.size();
    out.resize(header + ds.upper_bound(data.size()) + 16);

    zlib::z_params zs{};
    zs.next_in = data.data();
    zs.avail_in = data.size();
    zs.next_out = out.data() + header;
    zs.avail_out = out.size() - header;
    boost::beast::error_code ec;
    ds.write(zs, zlib::Flush::finish, ec);
    // The output room is the stream's upper bound: one call finishes it.
    if (ec != zlib::error::end_of_stream) throw std::runtime_error("gzip: deflate did not finish: " + ec.message());
    out.resize(header + zs.total_out);

    boost::crc_32_type crc;
    crc.process_bytes(data.data(), data.size());
    put_le32(out, crc.checksum());
    put_le32(out, static_cast<std::uint32_t>(data.size() & 0xffffffffu));  // ISIZE: the length mod 2^32
    return out;
}

}  // namespace tickerd

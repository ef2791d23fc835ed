#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include <boost/beast/zlib/inflate_stream.hpp>
#include <boost/crc.hpp>

#include "serve/gzip.hpp"
#include "serve/http_api.hpp"

using namespace tickerd;
namespace zlib = boost::beast::zlib;

namespace {

std::uint32_t le32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

// Parses the member by RFC 1952: fixed header, raw deflate inflated with Beast,
// then checks CRC-32 and ISIZE against what came out. Returns the data.
std::string gunzip(const std::string& gz) {
    REQUIRE(gz.size() >= 18);
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK(gz[2] == 8);  // deflate
    CHECK(gz[3] == 0);  // no FEXTRA, FNAME, FCOMMENT, FHCRC: the deflate data starts at 10
    zlib::inflate_stream is;
    is.reset(15);
    std::string out(1 << 20, '\0');
    zlib::z_params zs{};
    zs.next_in = gz.data() + 10;
    zs.avail_in = gz.size() - 18;
    zs.next_out = out.data();
    zs.avail_out = out.size();
    boost::beast::error_code ec;
    is.write(zs, zlib::Flush::finish, ec);
    INFO(ec.message());
    REQUIRE(ec == zlib::error::end_of_stream);
    CHECK(zs.avail_in == 0);  // the deflate stream ends where the trailer starts
    out.resize(zs.total_out);
    boost::crc_32_type crc;
    crc.process_bytes(out.data(), out.size());
    CHECK(le32(gz, gz.size() - 8) == crc.checksum());
    CHECK(le32(gz, gz.size() - 4) == static_cast<std::uint32_t>(out.size()));
    return out;
}

}  // namespace

TEST_CASE("gzip: round trip through inflate gives the same bytes", "[gzip]") {
    std::string json = "{\"symbol\":\"NVDA\",\"window\":\"1d\",\"resolution_s\":60,\"points\":[";
    for (int i = 0; i < 1440; ++i) json += "[" + std::to_string(1'800'000'000'000LL + i * 60'000LL) + ",1284.30],";
    json += "[0,1]]}";
    for (const int level : {1, 6, 9}) {
        const std::string gz = gzip_compress(json, level);
        INFO("level " << level << ": " << json.size() << " -> " << gz.size());
        CHECK(gz.size() < json.size() / 4);  // repetitive JSON shrinks a lot
        CHECK(gunzip(gz) == json);
    }
}

TEST_CASE("gzip: empty, tiny, binary and incompressible inputs", "[gzip]") {
    CHECK(gunzip(gzip_compress("")).empty());
    CHECK(gunzip(gzip_compress("a")) == "a");
    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
    CHECK(gunzip(gzip_compress(binary)) == binary);
    std::mt19937 rng(12345);
    std::string noise(100'000, '\0');
    for (char& c : noise) c = static_cast<char>(rng() & 0xff);
    const std::string gz = gzip_compress(noise, 9);
    CHECK(gz.size() < noise.size() + 100);  // stored blocks: a small overhead, no blow-up
    CHECK(gunzip(gz) == noise);
    // Out-of-range levels are clamped, not rejected.
    CHECK(gunzip(gzip_compress(binary, 0)) == binary);
    CHECK(gunzip(gzip_compress(binary, 42)) == binary);
}

TEST_CASE("Accept-Encoding: gzip when listed or covered by * with a weight above 0", "[gzip]") {
    for (const char* yes : {"gzip", "gzip, deflate, br", "deflate, gzip;q=0.5", "GZIP", "x-gzip", "*",
                            "br;q=1.0, gzip;q=0.001", " gzip ; q=1 ", "identity, *;q=0.1", "gzip;q=1.000",
                            "gzip;level=1;q=0.8"}) {
        INFO(yes);
        CHECK(accepts_gzip(yes));
    }
    for (const char* no : {"", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.000", "gzip; q=0, *",
                           "*;q=0", "br, *;q=0", "gzip;q=2", "gzip;q=abc", "gzipped", "x-gzip;q=0", ",,"}) {
        INFO(no);
        CHECK_FALSE(accepts_gzip(no));
    }
}

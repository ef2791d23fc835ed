#include <catch2/catch.hpp>

#include <string>

#include "tickerd/protocol.hpp"
#include "tickerd/utf8.hpp"

using namespace tickerd;

TEST_CASE("UTF-8: valid characters have their length, anything else 0", "[utf8]") {
    CHECK(utf8_char_length("a", 0) == 1);
    CHECK(utf8_char_length("\xC3\xA9", 0) == 2);          // é
    CHECK(utf8_char_length("\xE2\x96\xB2", 0) == 3);      // ▲
    CHECK(utf8_char_length("\xF0\x9F\x93\x88", 0) == 4);  // 📈
    CHECK(utf8_char_length("\xF4\x8F\xBF\xBF", 0) == 4);  // U+10FFFF
    for (const char* bad : {"\xFF", "\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                            "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xC3", "\xE2\x96",
                            "\xC3\x41"}) {
        INFO(std::string(bad));
        CHECK(utf8_char_length(bad, 0) == 0);
        CHECK_FALSE(is_valid_utf8(bad));
    }
    CHECK(is_valid_utf8("NVDA \xE2\x96\xB2 1.42%"));
}

TEST_CASE("UTF-8: a prefix never splits a character", "[utf8]") {
    const std::string e40 = [] {
        std::string s = "a";
        for (int i = 0; i < 40; ++i) s += "\xC3\xA9";
        return s;
    }();
    CHECK(utf8_prefix(e40, 32).size() == 31);  // "a" and 15 é
    CHECK(is_valid_utf8(utf8_prefix(e40, 32)));
    CHECK(utf8_prefix(e40, 64).size() == 63);
    CHECK(utf8_prefix("abc", 2) == "ab");
    CHECK(utf8_prefix("abc", 10) == "abc");
    CHECK(utf8_prefix("\xE2\x96\xB2", 2).empty());
    CHECK(utf8_prefix("a\xFF" "b", 2) == "a\xFF");  // an invalid byte counts as one
}

TEST_CASE("json_string writes valid UTF-8 whatever it is given", "[utf8][protocol]") {
    CHECK(json_string("\xC3\xA9") == "\"\xC3\xA9\"");
    CHECK(json_string("unknown symbol \xFF") == "\"unknown symbol \\ufffd\"");
    CHECK(json_string("\xC3") == "\"\\ufffd\"");
    CHECK(json_string("\xED\xA0\x80x") == "\"\\ufffd\\ufffd\\ufffdx\"");
    CHECK(json_string("a\xE2\x96") == "\"a\\ufffd\\ufffd\"");
    for (int b = 0; b < 256; ++b) {
        const std::string one(1, static_cast<char>(b));
        INFO(b);
        CHECK(is_valid_utf8(json_string(one)));
        CHECK(is_valid_utf8(json_string("\xC3" + one)));
        CHECK(is_valid_utf8(json_string("\xF0\x9F" + one)));
    }
}

TEST_CASE("a client message error quotes the text cut on a character boundary", "[utf8][protocol]") {
    std::string op = "a";
    for (int i = 0; i < 40; ++i) op += "\xC3\xA9";
    const auto r = parse_client_message(R"({"op":")" + op + R"(","symbols":["NVDA"]})");
    REQUIRE_FALSE(r);
    CHECK(is_valid_utf8(r.error()));
    CHECK(r.error().find("\\ufffd") == std::string::npos);
}

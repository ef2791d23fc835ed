#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tickerd/state.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {

decimal d(const char* s) { return *decimal::parse(s); }
time_point ms(long long v) { return time_point{milliseconds(v)}; }

quote sample_quote(std::string id, const char* price, const char* ref) {
    quote q;
    q.symbol = std::move(id);
    q.price = d(price);
    q.ref_price = d(ref);
    q.change = q.price - q.ref_price;
    q.change_pct = percent_change(q.price, q.ref_price);
    q.dir = q.change.is_positive() ? direction::up : q.change.is_negative() ? direction::down : direction::flat;
    q.market = market_state::brk;
    q.stale = false;
    q.source = "yahoo";
    q.as_of = ms(1'791'331'351'000);
    q.received_at = ms(1'791'331'351'120);
    q.seq = 1'791'331'000'000'123ULL;
    return q;
}

saved_state sample_state() {
    saved_state s;
    s.saved_at = ms(1'791'331'400'000);
    saved_symbol nvda{"NVDA", sample_quote("NVDA", "1284.3", "1266.32"), {}, "USD", 2};
    nvda.history = {{ms(1'791'331'200'000), d("1280.5")}, {ms(1'791'331'260'000), d("1284.3")}};
    s.symbols.push_back(nvda);
    s.symbols.push_back(saved_symbol{"9988.HK", std::nullopt, {}, std::nullopt, std::nullopt});
    quote fx = sample_quote("USD/VND", "26315.5", "26400");
    fx.source = "openerapi";
    fx.market = market_state::unknown;
    fx.stale = true;
    s.symbols.push_back(saved_symbol{"USD/VND", fx, {{ms(1'791'331'200'000), d("26315.5")}}, std::nullopt, std::nullopt});
    s.symbols.push_back(saved_symbol{"Odd \"id\"\\", sample_quote("x", "0.00021692", "0.0003"), {}, std::nullopt, std::nullopt});
    s.symbols.back().last->symbol = "Odd \"id\"\\";
    saved_day_reference ref{"openerapi:USD/VND", {}};
    ref.ref.observe(d("26400"), ms(1'791'244'951'000));
    ref.ref.observe(d("26315.5"), ms(1'791'331'351'000));
    s.day_references.push_back(ref);
    s.day_references.push_back(saved_day_reference{"openerapi:USD/EUR", {}});
    return s;
}

void check_same_quote(const quote& a, const quote& b) {
    CHECK(a.symbol == b.symbol);
    CHECK(a.price == b.price);
    CHECK(a.ref_price == b.ref_price);
    CHECK(a.change == b.change);
    CHECK(a.change_pct == b.change_pct);
    CHECK(a.dir == b.dir);
    CHECK(a.market == b.market);
    CHECK(a.stale == b.stale);
    CHECK(a.source == b.source);
    CHECK(a.as_of == b.as_of);
    CHECK(a.received_at == b.received_at);
    CHECK(a.seq == b.seq);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("state round trip keeps quotes, history and day references exactly", "[state]") {
    const saved_state s = sample_state();
    const std::string text = serialise_state(s);
    CHECK(text.rfind("{\"version\":1,", 0) == 0);
    auto parsed = parse_state(text);
    INFO(text);
    REQUIRE(parsed.ok());
    const saved_state& p = *parsed;
    CHECK(p.saved_at == s.saved_at);
    REQUIRE(p.symbols.size() == s.symbols.size());
    for (std::size_t i = 0; i < s.symbols.size(); ++i) {
        CHECK(p.symbols[i].id == s.symbols[i].id);
        REQUIRE(p.symbols[i].last.has_value() == s.symbols[i].last.has_value());
        if (s.symbols[i].last) check_same_quote(*p.symbols[i].last, *s.symbols[i].last);
        REQUIRE(p.symbols[i].history.size() == s.symbols[i].history.size());
        for (std::size_t k = 0; k < s.symbols[i].history.size(); ++k) {
            CHECK(p.symbols[i].history[k].t == s.symbols[i].history[k].t);
            CHECK(p.symbols[i].history[k].price == s.symbols[i].history[k].price);
        }
    }
    REQUIRE(p.day_references.size() == 2);
    CHECK(p.day_references[0].source == "openerapi:USD/VND");
    CHECK(p.day_references[0].ref == s.day_references[0].ref);
    CHECK(p.day_references[0].ref.reference_at(ms(1'791'331'351'000)) == d("26400"));
    CHECK(p.day_references[1].ref == day_reference{});
    CHECK(serialise_state(p) == text);  // stable
}

TEST_CASE("an empty state round trips", "[state]") {
    const saved_state empty;
    auto parsed = parse_state(serialise_state(empty));
    REQUIRE(parsed.ok());
    CHECK(parsed->symbols.empty());
    CHECK(parsed->day_references.empty());
}

TEST_CASE("a state file truncated at any byte fails cleanly", "[state]") {
    // A file written by the daemon (tests/fixtures), and a serialised sample.
    const std::string files[] = {read_text(TICKERD_FIXTURES_DIR "/state_snapshot_v1.json"),
                                 serialise_state(sample_state())};
    for (const std::string& text : files) {
        REQUIRE(text.size() > 100);
        REQUIRE(parse_state(text).ok());
        for (std::size_t n = 0; n < text.size(); ++n) {
            const auto r = parse_state(std::string_view(text).substr(0, n));
            if (r.ok()) FAIL("a truncation to " << n << " bytes parsed");
            CHECK_FALSE(r.error().empty());
        }
    }
}

TEST_CASE("a state of another version is refused", "[state]") {
    std::string text = serialise_state(sample_state());
    text.replace(0, std::string("{\"version\":1").size(), "{\"version\":2");
    auto r = parse_state(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("version 2"));
    CHECK_FALSE(parse_state(R"({"saved_at":0,"symbols":[],"day_references":[]})").ok());
    CHECK_FALSE(parse_state(R"({"version":"1","saved_at":0,"symbols":[],"day_references":[]})").ok());
}

TEST_CASE("garbage and wrong shapes are refused with a reason", "[state]") {
    const char* bad[] = {
        "",
        "\x00\x01\x02",
        "not json",
        "[]",
        "null",
        "{\"version\":1}",
        R"({"version":1,"saved_at":0,"symbols":{},"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[{"id":"","quote":null,"history":[]}],"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[{"id":"A","quote":{},"history":[]}],"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[{"id":"A","quote":null,"history":[[1]]}],"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[{"id":"A","quote":null,"history":[[1,"x"]]}],"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[{"id":"A","quote":null,"history":[[1,2]]}],"day_references":[]})",
        R"({"version":1,"saved_at":0,"symbols":[],"day_references":[{"source":"s","latest":{"rate":"-1","as_of":0},"previous":null}]})",
        R"({"version":1,"saved_at":0,"symbols":[],"day_references":[{"source":"s","latest":null}]})",
    };
    for (const char* text : bad) {
        INFO(text);
        const auto r = parse_state(std::string_view(text, std::char_traits<char>::length(text)));
        REQUIRE_FALSE(r.ok());
        CHECK_FALSE(r.error().empty());
    }
    // A wrong field inside a quote is named.
    std::string text = serialise_state(sample_state());
    const auto pos = text.find("\"direction\":\"up\"");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 16, "\"direction\":\"sideways\"");
    const auto r = parse_state(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("symbols[0].quote.direction"));
}

namespace {

symbol_config configured(std::vector<std::string> providers) {
    symbol_config c;
    c.id = "NVDA";
    c.currency = "USD";
    c.precision = 2;
    for (auto& p : providers) c.sources.push_back({std::move(p), "NVDA"});
    return c;
}

saved_symbol saved_from(const char* source, const char* currency, int precision) {
    saved_symbol s{"NVDA", sample_quote("NVDA", "120.5", "118"), {{ms(1'791'331'200'000), d("120.5")}}, currency, precision};
    s.last->source = source;
    return s;
}

}  // namespace

TEST_CASE("a saved quote is restored only from a configured source, currency and precision", "[state]") {
    const auto sym = configured({"yahoo", "finnhub"});
    CHECK(restore_refusal(sym, saved_from("yahoo", "USD", 2)).empty());
    CHECK(restore_refusal(sym, saved_from("finnhub", "USD", 2)).empty());
    CHECK(restore_refusal(sym, saved_from("sim", "USD", 2)) ==
          "its source sim is not one of the configured sources (yahoo, finnhub)");
    CHECK(restore_refusal(sym, saved_from("yahoo", "EUR", 2)) == "its currency EUR is not the configured USD");
    CHECK(restore_refusal(sym, saved_from("yahoo", "USD", 0)) == "its precision 0 is not the configured 2");
    CHECK(restore_refusal(configured({"sim"}), saved_from("sim", "USD", 2)).empty());

    auto older = saved_from("yahoo", "USD", 2);  // a file of an earlier tickerd: neither recorded
    older.currency.reset();
    older.precision.reset();
    CHECK_FALSE(restore_refusal(sym, older).empty());
    auto history_only = saved_from("yahoo", "USD", 2);  // history points have no source of their own
    history_only.last.reset();
    CHECK_FALSE(restore_refusal(sym, history_only).empty());
}

TEST_CASE("currency and precision round trip and are optional when read", "[state]") {
    saved_state s;
    s.symbols.push_back(saved_from("yahoo", "VND", 0));
    const auto back = parse_state(serialise_state(s));
    REQUIRE(back);
    CHECK(back.value().symbols.at(0).currency == std::optional<std::string>("VND"));
    CHECK(back.value().symbols.at(0).precision == std::optional<int>(0));
    const auto old = parse_state(R"({"version":1,"saved_at":1,"symbols":[{"id":"NVDA","quote":null,"history":[]}],"day_references":[]})");
    REQUIRE(old);
    CHECK_FALSE(old.value().symbols.at(0).currency.has_value());
    CHECK_FALSE(old.value().symbols.at(0).precision.has_value());
}

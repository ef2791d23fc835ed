#include "tickerd/protocol.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "tickerd/snapshot_store.hpp"
#include "tickerd/utf8.hpp"

namespace tickerd {
namespace {

void append_quotes(std::string& out, const quote_list& quotes) {
    out += "\"quotes\":[";
    bool first = true;
    for (const auto& p : quotes) {
        if (!first) out += ',';
        first = false;
        out += *p->json;
    }
    out += ']';
}

std::string signed_text(decimal d, int places) {
    std::string s = d.to_string(places);
    if (d.is_positive()) s.insert(0, 1, '+');
    return s;
}

}  // namespace

std::string json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            // Valid UTF-8 goes out as it is; any other byte as U+FFFD, so that every
            // text we write is valid UTF-8 (a WebSocket client fails on anything else).
            const std::size_t n = utf8_char_length(s, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
    return out;
}

std::string encode_quote(const symbol_config& sym, const quote& q) {
    const int p = sym.precision;
    std::string_view arrow;
    switch (q.dir) {
        case direction::up: arrow = "\u25B2 "; break;
        case direction::down: arrow = "\u25BC "; break;
        case direction::flat: arrow = ""; break;
    }
    decimal abs_pct = q.change_pct.is_negative() ? -q.change_pct : q.change_pct;
    std::string out;
    out.reserve(512);
    out += "{\"symbol\":";
    out += json_string(sym.id);
    out += ",\"name\":";
    out += json_string(sym.name);
    out += ",\"class\":\"";
    out += to_string(sym.cls);
    out += "\",\"currency\":";
    out += json_string(sym.currency);
    fmt::format_to(std::back_inserter(out),
                   ",\"price\":{},\"ref_price\":{},\"change\":{},\"change_pct\":{},\"direction\":\"{}\"",
                   q.price.to_string(p), q.ref_price.to_string(p), q.change.to_string(p), q.change_pct.to_string(2),
                   to_string(q.dir));
    fmt::format_to(std::back_inserter(out), ",\"display\":{{\"price\":\"{}\",\"change\":\"{}\",\"change_pct\":\"{}{}%\"}}",
                   q.price.to_grouped(p), signed_text(q.change, p), arrow, abs_pct.to_string(2));
    // max_age: the symbol's max_age in whole seconds (rounded up): how old a quote may get before it is stale.
    fmt::format_to(std::back_inserter(out), ",\"market\":\"{}\",\"stale\":{},\"max_age\":{},\"source\":",
                   to_string(q.market), q.stale ? "true" : "false",
                   std::chrono::ceil<std::chrono::seconds>(sym.max_age).count());
    out += json_string(q.source);
    fmt::format_to(std::back_inserter(out), ",\"as_of\":\"{}\",\"received_at\":\"{}\",\"seq\":{}}}", format_utc(q.as_of),
                   format_utc(q.received_at), q.seq);
    return out;
}

// Written once per multi-quote message per client: appends and to_chars into
// the reused string (fmt into a std::string cost about 1,500 instructions here).
void write_update_head(std::string& out, std::uint64_t seq, std::int64_t ts_us) {
    std::array<char, 24> num;  // the longest 64-bit integer has 20 characters
    out.assign(R"({"type":"update","seq":)");
    out.append(num.data(), std::to_chars(num.data(), num.data() + num.size(), seq).ptr);
    out.append(R"(,"ts":)");
    out.append(num.data(), std::to_chars(num.data(), num.data() + num.size(), ts_us).ptr);
    out.append(R"(,"quotes":[)");
}

const shared_text& update_comma() {
    static const shared_text comma = std::make_shared<const std::string>(",");
    return comma;
}

const shared_text& update_tail() {
    static const shared_text tail = std::make_shared<const std::string>("]}");
    return tail;
}

std::int64_t unix_now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string encode_update(std::uint64_t seq, std::int64_t ts_us, const quote_list& quotes) {
    std::string out;
    write_update_head(out, seq, ts_us);
    for (std::size_t i = 0; i < quotes.size(); ++i) {
        if (i != 0) out += *update_comma();
        out += *quotes[i]->json;
    }
    out += *update_tail();
    return out;
}

std::string encode_stream_snapshot(std::uint64_t seq, std::uint64_t since, const quote_list& quotes) {
    std::string out = fmt::format("{{\"type\":\"snapshot\",\"seq\":{},", seq);
    if (since != 0) fmt::format_to(std::back_inserter(out), "\"since\":{},", since);
    append_quotes(out, quotes);
    out += '}';
    return out;
}

std::string encode_http_snapshot(std::uint64_t seq, time_point generated_at, const quote_list& quotes) {
    std::string out = fmt::format("{{\"seq\":{},\"generated_at\":\"{}\",", seq, format_utc(generated_at));
    append_quotes(out, quotes);
    out += '}';
    return out;
}

std::string encode_heartbeat(std::uint64_t seq) { return fmt::format("{{\"type\":\"heartbeat\",\"seq\":{}}}", seq); }

std::string encode_removed(std::uint64_t seq, const std::vector<std::string>& symbols) {
    std::string out = fmt::format("{{\"type\":\"removed\",\"seq\":{},\"symbols\":[", seq);
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i > 0) out += ',';
        out += json_string(symbols[i]);
    }
    out += "]}";
    return out;
}

std::string encode_stream_error(std::string_view code, std::string_view message) {
    return fmt::format("{{\"type\":\"error\",\"code\":{},\"message\":{}}}", json_string(code), json_string(message));
}

std::string encode_history(const symbol_config& sym, std::string_view window, std::chrono::milliseconds resolution,
                           const std::vector<history_point>& points) {
    std::string out = fmt::format("{{\"symbol\":{},\"window\":{},\"resolution_s\":{},\"points\":[", json_string(sym.id),
                                  json_string(window), resolution.count() / 1000);
    bool first = true;
    for (const auto& [t, price] : points) {
        fmt::format_to(std::back_inserter(out), "{}[{},{}]", first ? "" : ",", t.time_since_epoch().count(),
                       price.to_string(sym.precision));
        first = false;
    }
    out += "]}";
    return out;
}

std::string encode_http_error(std::string_view message) {
    return fmt::format("{{\"error\":{}}}", json_string(message));
}

result<client_message, std::string> parse_client_message(std::string_view text) {
    constexpr std::size_t max_symbols = 256;
    // DOM validates the whole message (trailing garbage included); messages are tiny.
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(text.data(), text.size()).get(doc)) return std::string("message is not valid JSON");
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return std::string("message must be a JSON object");
    std::optional<client_message::kind> op;
    std::optional<std::vector<std::string>> symbols;
    std::optional<unsigned> max_hz;
    for (const auto field : obj) {
        if (field.key == "op") {
            std::string_view v;
            if (field.value.get_string().get(v)) return std::string("\"op\" must be a string");
            if (v == "subscribe") {
                op = client_message::kind::subscribe;
            } else if (v == "unsubscribe") {
                op = client_message::kind::unsubscribe;
            } else {
                return fmt::format("unknown op {}", json_string(utf8_prefix(v, 32)));
            }
        } else if (field.key == "symbols") {
            simdjson::dom::array arr;
            if (field.value.get_array().get(arr)) return std::string("\"symbols\" must be an array of strings");
            std::vector<std::string> list;
            for (const auto item : arr) {
                std::string_view s;
                if (item.get_string().get(s)) return std::string("\"symbols\" must be an array of strings");
                if (list.size() >= max_symbols) return std::string("too many symbols");
                list.emplace_back(s);
            }
            symbols = std::move(list);
        } else if (field.key == "max_hz") {
            std::uint64_t hz = 0;
            if (field.value.get_uint64().get(hz) || hz > max_max_hz)
                return fmt::format("\"max_hz\" must be an integer from 0 to {}", max_max_hz);
            max_hz = static_cast<unsigned>(hz);
        }
        // Other fields are ignored so that newer clients can send options.
    }
    if (!op) return std::string("missing \"op\"");
    if (!symbols) return std::string("missing \"symbols\"");
    if (max_hz && *op != client_message::kind::subscribe) return std::string("\"max_hz\" is only valid on subscribe");
    return client_message{*op, std::move(*symbols), max_hz};
}

std::vector<std::string> split_symbol_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::optional<std::string> url_decode(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex(text[i + 1]);
            const int lo = hex(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace tickerd

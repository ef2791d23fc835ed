// Definitions of the helpers declared in json_util.hpp.
#include "json_util.hpp"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tickerd::feeds::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t k = 0; k < prefix.size(); ++k)
        if (lower(s[k]) != lower(prefix[k])) return false;
    return true;
}

// A single-line, printable-ASCII excerpt of at most `max` characters (an
// ellipsis included). Runs of whitespace and control characters become one
// space and non-ASCII bytes are dropped. With `strip_markup`, HTML tags and the
// content of <script>/<style> elements are skipped, so an error page shows
// its text.
std::string printable_excerpt(std::string_view s, std::size_t max, bool strip_markup) {
    if (max < 4) max = 4;
    std::string out;
    bool pending_space = false;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (strip_markup && c == '<') {
            const std::size_t close = s.find('>', i);
            if (close == std::string_view::npos) break;
            std::string tag;
            for (std::size_t k = i + 1; k < close && tag.size() < 7; ++k) {
                if (is_space(s[k]) || s[k] == '/') {
                    if (!tag.empty() || s[k] != '/') break;
                    continue;
                }
                tag += lower(s[k]);
            }
            i = close + 1;
            if ((tag == "script" || tag == "style") && s[close - 1] != '/') {
                // Skip to the matching end tag.
                const std::string end = "</" + tag;
                std::size_t j = i;
                while (j < s.size() && !starts_with_nocase(s.substr(j), end)) ++j;
                const std::size_t gt = s.find('>', j);
                i = gt == std::string_view::npos ? s.size() : gt + 1;
            }
            pending_space = true;
            continue;
        }
        ++i;
        if (c <= 0x20 || c == 0x7f) {
            pending_space = true;
            continue;
        }
        if (c >= 0x80) continue;
        const std::size_t need = (pending_space && !out.empty() ? 1 : 0) + 1;
        if (out.size() + need > max) {
            while (out.size() > max - 3) out.pop_back();
            while (!out.empty() && out.back() == ' ') out.pop_back();
            out += "...";
            return out;
        }
        if (pending_space && !out.empty()) out += ' ';
        pending_space = false;
        out += static_cast<char>(c);
    }
    return out;
}

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
    std::size_t i = 0;
    auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
    if (i < s.size() && s[i] == '-') ++i;
    if (!digit(i)) return false;
    if (s[i] == '0') {
        ++i;
    } else {
        while (digit(i)) ++i;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digit(i)) return false;
        while (digit(i)) ++i;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (!digit(i)) return false;
        while (digit(i)) ++i;
    }
    return i == s.size();
}

// Visits every value below `v`, so that the lazy on-demand parser checks all of
// the document (structure, strings, literals; numbers against the JSON grammar).
simdjson::error_code validate_value(od::value v) {
    using simdjson::SUCCESS;
    od::json_type t{};
    if (auto e = v.type().get(t)) return e;
    switch (t) {
        case od::json_type::object: {
            od::object obj;
            if (auto e = v.get_object().get(obj)) return e;
            for (auto field : obj) {
                std::string_view key;
                if (auto e = field.unescaped_key().get(key)) return e;
                od::value fv;
                if (auto e = field.value().get(fv)) return e;
                if (auto e = validate_value(fv)) return e;
            }
            return SUCCESS;
        }
        case od::json_type::array: {
            od::array arr;
            if (auto e = v.get_array().get(arr)) return e;
            for (auto element : arr) {
                od::value ev;
                if (auto e = element.get(ev)) return e;
                if (auto e = validate_value(ev)) return e;
            }
            return SUCCESS;
        }
        case od::json_type::string: {
            std::string_view s;
            return v.get_string().get(s);
        }
        case od::json_type::number:
            return is_json_number(trim(v.raw_json_token())) ? SUCCESS : simdjson::NUMBER_ERROR;
        case od::json_type::boolean: {
            bool b = false;
            return v.get_bool().get(b);
        }
        case od::json_type::null: {
            bool n = false;
            if (auto e = v.is_null().get(n)) return e;
            return n ? SUCCESS : simdjson::INCORRECT_TYPE;
        }
    }
    return simdjson::INCORRECT_TYPE;
}

// Parses `json` (already padded) and checks the whole document is one valid
// JSON object with nothing after it. On success the document is rewound, ready
// to be read.
simdjson::error_code iterate_validated(od::parser& parser, simdjson::padded_string& json, od::document& doc) {
    if (auto e = parser.iterate(json).get(doc)) return e;
    od::value root;
    if (auto e = doc.get_value().get(root)) return e;
    od::json_type t{};
    if (auto e = root.type().get(t)) return e;
    if (t != od::json_type::object) return simdjson::INCORRECT_TYPE;
    if (auto e = validate_value(root)) return e;
    // Trailing content ("{...} x", "{...}}") leaves a location to read.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return simdjson::TRAILING_CONTENT;
    doc.rewind();
    return simdjson::SUCCESS;
}

}  // namespace

std::string_view strip_bom(std::string_view s) {
    if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
    return s;
}

bool is_2xx(unsigned status) { return status >= 200 && status < 300; }

bool looks_like_json_object(std::string_view body) {
    body = trim(body);
    return !body.empty() && body.front() == '{';
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (starts_with_nocase(hay.substr(i), needle)) return true;
    return false;
}

std::string body_excerpt(std::string_view body) {
    body = trim(body);
    if (body.empty()) return "(empty body)";
    const bool html = body.front() == '<';
    std::string s = printable_excerpt(body, 60, html);
    return s.empty() ? "(no printable text)" : s;
}

std::string clean_text(std::string_view s, std::size_t max) {
    return printable_excerpt(s, max, false);
}

std::string status_prefix(unsigned status) { return "HTTP " + std::to_string(status) + ": "; }

feed_error make_error(feed_error_kind kind, std::string message) { return feed_error{kind, std::move(message)}; }

feed_error fail(feed_error_kind kind, std::string_view context, std::string_view what) {
    std::string message;
    message.reserve(context.size() + what.size());
    message += context;
    message += what;
    return make_error(kind, std::move(message));
}

feed_error fail(feed_error_kind kind, unsigned status, std::string_view what) {
    return fail(kind, status_prefix(status), what);
}

scalar_field scalar_of(od::value& v) {
    scalar_field out;
    od::json_type t{};
    if (v.type().get(t)) {
        out.k = scalar_field::kind::other;
        return out;
    }
    switch (t) {
        case od::json_type::null:
            out.k = scalar_field::kind::null;
            break;
        case od::json_type::number:
            out.k = scalar_field::kind::number;
            out.text = std::string(trim(v.raw_json_token()));
            break;
        case od::json_type::string: {
            std::string_view s;
            if (v.get_string().get(s)) {
                out.k = scalar_field::kind::other;
            } else {
                out.k = scalar_field::kind::string;
                out.text = std::string(s);
            }
            break;
        }
        default:
            out.k = scalar_field::kind::other;
            break;
    }
    return out;
}

scalar_field read_scalar(od::object& obj, std::string_view key) {
    od::value v;
    if (obj.find_field_unordered(key).get(v)) return {};  // missing
    return scalar_of(v);
}

std::optional<std::int64_t> to_seconds(const scalar_field& f) {
    if (f.k != scalar_field::kind::number) return std::nullopt;
    const auto d = decimal::parse(f.text);
    if (!d) return std::nullopt;
    return d->units() / decimal::one;
}

std::optional<std::uint64_t> to_unsigned(const scalar_field& f) {
    if (f.k != scalar_field::kind::number) return std::nullopt;
    const std::string& s = f.text;
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

feed_result<decimal> read_price(const scalar_field& f, std::string_view name, price_json accept) {
    using fk = scalar_field::kind;
    const std::string n(name);
    switch (f.k) {
        case fk::missing:
            return make_error(feed_error_kind::malformed, n + " missing");
        case fk::null:
            return make_error(feed_error_kind::bad_price, n + " is null");
        case fk::number:
            break;
        case fk::string:
            if (accept == price_json::number_or_string) break;
            return make_error(feed_error_kind::malformed, n + " is a string, not a number");
        default:
            return make_error(feed_error_kind::malformed,
                              n + (accept == price_json::number ? " is not a number" : " is not a string or number"));
    }
    const auto d = decimal::parse(f.text);
    if (!d) return make_error(feed_error_kind::bad_price, n + " unparsable or out of range: " + clean_text(f.text, 40));
    return *d;
}

std::optional<decimal> optional_positive(const scalar_field& f, price_json accept) {
    const bool type_ok = f.k == scalar_field::kind::number ||
                         (f.k == scalar_field::kind::string && accept == price_json::number_or_string);
    if (!type_ok) return std::nullopt;
    auto d = decimal::parse(f.text);
    if (!d || !d->is_positive()) return std::nullopt;
    return d;
}

bool says_rate_limited(std::string_view text) {
    return contains_nocase(text, "too many requests") || contains_nocase(text, "rate limit") ||
           contains_nocase(text, "limit reached");
}

feed_result<od::object> json_doc::parse_object(std::string_view body, const json_body_rules& rules) {
    using kind = feed_error_kind;
    body = strip_bom(body);
    if (!looks_like_json_object(body)) {
        if (rules.throttled || (rules.says_throttled != nullptr && rules.says_throttled(body)))
            return fail(kind::rate_limited, rules.context, body_excerpt(body));
        return fail(kind::malformed, rules.context, "not JSON: " + body_excerpt(body));
    }

    // One parser a thread for all the feed parsers: a parser serves one document
    // at a time, and none of them reads a second body while it reads one.
    thread_local od::parser parser;
    json_ = simdjson::padded_string(body.data(), body.size());
    if (auto e = iterate_validated(parser, json_, doc_)) {
        if (rules.throttled) return fail(kind::rate_limited, rules.context, body_excerpt(body));
        return fail(kind::malformed, rules.context, std::string("invalid JSON: ") + simdjson::error_message(e));
    }
    od::object root;
    if (doc_.get_object().get(root)) return fail(kind::malformed, rules.context, "not a JSON object");
    return root;
}

}  // namespace tickerd::feeds::detail

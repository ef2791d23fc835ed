// The typed TOML getters of the config loader, and duration text.
#include "settings/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "settings/config_loader.hpp"
#include "settings/nearest_key.hpp"

namespace tickerd {
namespace toml_reader {
namespace {

std::string_view type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

std::string at_line(const toml::node* n) {
    if (n == nullptr || n->source().begin.line == 0) return {};
    return fmt::format(" (line {})", n->source().begin.line);
}

// Byte offset in `text` of a 1-based (line, column) position, columns counted in code points
// as toml++ does. npos when the position is not in the text.
std::size_t byte_offset(std::string_view text, std::uint32_t line, std::uint32_t column) {
    if (line == 0 || column == 0) return std::string_view::npos;
    std::size_t pos = 0;
    for (std::uint32_t l = 1; l < line; ++l) {
        pos = text.find('\n', pos);
        if (pos == std::string_view::npos) return pos;
        ++pos;
    }
    for (std::uint32_t c = 1; c < column; ++c) {
        if (pos >= text.size() || text[pos] == '\n') return std::string_view::npos;
        ++pos;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    }
    return pos;
}

// The decimal value of a TOML float, from its text as written when it can be recovered (so
// digits beyond a double's precision are kept), else from the double's shortest form.
std::optional<decimal> float_to_decimal(const toml::value<double>& v, std::string_view toml_text) {
    const double d = v.get();
    if (!std::isfinite(d)) return std::nullopt;
    const auto& src = v.source();
    if (src.begin.line == src.end.line) {
        const auto b = byte_offset(toml_text, src.begin.line, src.begin.column);
        const auto e = byte_offset(toml_text, src.end.line, src.end.column);
        if (b != std::string_view::npos && e != std::string_view::npos && e > b) {
            std::string written(toml_text.substr(b, e - b));
            std::erase(written, '_');
            if (auto p = decimal::parse(written)) {
                if (std::abs(p->to_double() - d) <= 1e-6 * std::max(1.0, std::abs(d))) return p;
            }
        }
    }
    return decimal::parse(fmt::format("{}", d));
}

}  // namespace

std::string join(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return fmt::format("{}.{}", path, key);
}

std::string index_path(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

[[noreturn]] void fail(std::string key, std::string message, const toml::node* at) {
    throw invalid{std::move(key), std::move(message) + at_line(at)};
}

[[noreturn]] void wrong_type(const std::string& key, std::string_view expected, const toml::node& n) {
    fail(key, fmt::format("expected {}, got {}", expected, type_name(n)), &n);
}

void check_keys(const toml::table& t, std::string_view path, std::initializer_list<std::string_view> allowed) {
    const toml::key* first = nullptr;
    for (const auto& [k, v] : t) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
        if (first == nullptr ||
            std::pair(k.source().begin.line, k.source().begin.column) <
                std::pair(first->source().begin.line, first->source().begin.column))
            first = &k;
    }
    if (first != nullptr) {
        std::string line;
        if (first->source().begin.line != 0) line = fmt::format(" (line {})", first->source().begin.line);
        std::string hint;
        if (const auto near = nearest_key(first->str(), allowed)) hint = fmt::format("; did you mean \"{}\"?", *near);
        throw invalid{join(path, first->str()), "unknown key" + line + hint};
    }
}

const toml::table& as_table(const toml::node& n, const std::string& key) {
    if (const auto* t = n.as_table()) return *t;
    wrong_type(key, "a table", n);
}

std::string get_string(const toml::node& n, const std::string& key) {
    if (const auto* s = n.as_string()) return s->get();
    wrong_type(key, "a string", n);
}

std::int64_t get_int(const toml::node& n, const std::string& key, std::int64_t min, std::int64_t max) {
    const auto* i = n.as_integer();
    if (i == nullptr) wrong_type(key, "an integer", n);
    const std::int64_t v = i->get();
    if (v < min || v > max) {
        if (max == std::numeric_limits<std::int64_t>::max())
            fail(key, fmt::format("must be at least {}, got {}", min, v), &n);
        fail(key, fmt::format("must be between {} and {}, got {}", min, max, v), &n);
    }
    return v;
}

milliseconds get_duration(const toml::node& n, const std::string& key, bool positive) {
    const auto* s = n.as_string();
    if (s == nullptr) wrong_type(key, "a duration string such as \"5s\"", n);
    const auto d = parse_duration(s->get());
    if (!d)
        fail(key,
             fmt::format("invalid duration \"{}\": use whole numbers with units ms, s, m, h, "
                         "e.g. \"250ms\", \"5s\", \"1m30s\"",
                         s->get()),
             &n);
    if (positive && d->count() == 0) fail(key, "must be greater than zero", &n);
    return *d;
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

decimal get_decimal(const toml::node& n, const std::string& key, std::string_view toml_text) {
    std::optional<decimal> price;
    if (const auto* str = n.as_string()) {
        price = decimal::parse(str->get());
        if (!price) fail(key, fmt::format("\"{}\" is not a decimal number", str->get()), &n);
    } else if (const auto* i = n.as_integer()) {
        constexpr std::int64_t max_whole = std::numeric_limits<std::int64_t>::max() / decimal::one;
        if (i->get() > max_whole || i->get() < -max_whole) fail(key, "out of range", &n);
        price = decimal::from_int(i->get());
    } else if (const auto* f = n.as_floating_point()) {
        price = float_to_decimal(*f, toml_text);
        if (!price) fail(key, "not a finite number in range", &n);
    } else {
        wrong_type(key, "a number or a decimal string such as \"1284.30\"", n);
    }
    return *price;
}
}  // namespace toml_reader

std::optional<milliseconds> parse_duration(std::string_view text) {
    // Whole numbers, each followed by a unit; units strictly descending (h, m, s, ms), each at
    // most once. No sign, no fractions, no spaces: "1.5s" is written "1500ms".
    static constexpr std::pair<std::string_view, std::int64_t> units[] = {
        {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t next_unit = 0;  // index into units of the largest unit still allowed
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t digits_start = i;
        std::int64_t n = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
            n = n * 10 + (text[i] - '0');
            ++i;
        }
        if (i == digits_start) return std::nullopt;
        const std::size_t unit_start = i;
        while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        std::size_t u = next_unit;
        while (u < std::size(units) && units[u].first != unit) ++u;
        if (u == std::size(units)) return std::nullopt;
        if (n > (std::numeric_limits<std::int64_t>::max() - total) / units[u].second) return std::nullopt;
        total += n * units[u].second;
        next_unit = u + 1;
    }
    return milliseconds{total};
}

}  // namespace tickerd

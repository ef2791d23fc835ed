// The state file's text to and from a saved_state (pure). See tickerd/state.hpp.
// Parsing is strict: any missing field, wrong type or bad value fails the whole file.
#include <simdjson.h>

#include <algorithm>

#include <fmt/format.h>

#include "tickerd/protocol.hpp"
#include "tickerd/state.hpp"

namespace tickerd {
namespace {

namespace dom = simdjson::dom;

// Thrown inside the parser only, caught in parse_state.
struct bad_state {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw bad_state{std::move(message)}; }

dom::element field(const dom::object& o, std::string_view key, std::string_view where) {
    dom::element e;
    if (o.at_key(key).get(e)) fail(fmt::format("{}.{} missing", where, key));
    return e;
}

dom::object as_object(const dom::element& e, std::string_view where) {
    dom::object o;
    if (e.get_object().get(o)) fail(fmt::format("{} is not an object", where));
    return o;
}

dom::array as_array(const dom::element& e, std::string_view where) {
    dom::array a;
    if (e.get_array().get(a)) fail(fmt::format("{} is not an array", where));
    return a;
}

std::string_view as_string(const dom::element& e, std::string_view where) {
    std::string_view s;
    if (e.get_string().get(s)) fail(fmt::format("{} is not a string", where));
    return s;
}

std::int64_t as_int(const dom::element& e, std::string_view where) {
    std::int64_t v = 0;
    if (e.get_int64().get(v)) fail(fmt::format("{} is not an integer", where));
    return v;
}

std::uint64_t as_uint(const dom::element& e, std::string_view where) {
    std::uint64_t v = 0;
    if (e.get_uint64().get(v)) fail(fmt::format("{} is not a non-negative integer", where));
    return v;
}

bool as_bool(const dom::element& e, std::string_view where) {
    bool v = false;
    if (e.get_bool().get(v)) fail(fmt::format("{} is not a boolean", where));
    return v;
}

decimal as_decimal(const dom::element& e, std::string_view where) {
    const auto d = decimal::parse(as_string(e, where));
    if (!d) fail(fmt::format("{} is not a decimal", where));
    return *d;
}

time_point as_time(const dom::element& e, std::string_view where) {
    return time_point{std::chrono::milliseconds{as_int(e, where)}};
}

direction parse_direction(std::string_view s, std::string_view where) {
    for (const direction d : {direction::up, direction::down, direction::flat})
        if (to_string(d) == s) return d;
    fail(fmt::format("{}: unknown direction", where));
}

market_state parse_market(std::string_view s, std::string_view where) {
    for (const market_state m : {market_state::open, market_state::pre, market_state::post, market_state::brk,
                                 market_state::closed, market_state::always, market_state::unknown})
        if (to_string(m) == s) return m;
    fail(fmt::format("{}: unknown market state", where));
}

quote parse_quote(const dom::element& e, const std::string& id, const std::string& where) {
    const dom::object o = as_object(e, where);
    quote q;
    q.symbol = id;
    q.price = as_decimal(field(o, "price", where), where + ".price");
    q.ref_price = as_decimal(field(o, "ref_price", where), where + ".ref_price");
    q.change = as_decimal(field(o, "change", where), where + ".change");
    q.change_pct = as_decimal(field(o, "change_pct", where), where + ".change_pct");
    q.dir = parse_direction(as_string(field(o, "direction", where), where + ".direction"), where + ".direction");
    q.market = parse_market(as_string(field(o, "market", where), where + ".market"), where + ".market");
    q.stale = as_bool(field(o, "stale", where), where + ".stale");
    q.source = std::string(as_string(field(o, "source", where), where + ".source"));
    q.as_of = as_time(field(o, "as_of", where), where + ".as_of");
    q.received_at = as_time(field(o, "received_at", where), where + ".received_at");
    q.seq = as_uint(field(o, "seq", where), where + ".seq");
    if (!q.price.is_positive()) fail(where + ".price is not positive");
    return q;
}

std::optional<day_reference::rate_at> parse_rate(const dom::element& e, const std::string& where) {
    if (e.is_null()) return std::nullopt;
    const dom::object o = as_object(e, where);
    day_reference::rate_at r{as_decimal(field(o, "rate", where), where + ".rate"),
                             as_time(field(o, "as_of", where), where + ".as_of")};
    if (!r.rate.is_positive()) fail(where + ".rate is not positive");
    return r;
}

saved_state parse_root(const dom::element& doc) {
    const dom::object root = as_object(doc, "the file");
    const std::int64_t version = as_int(field(root, "version", "file"), "version");
    if (version != state_format_version)
        fail(fmt::format("version {} is not supported (this tickerd reads version {})", version, state_format_version));
    saved_state s;
    s.saved_at = as_time(field(root, "saved_at", "file"), "saved_at");
    std::size_t i = 0;
    for (const dom::element e : as_array(field(root, "symbols", "file"), "symbols")) {
        const std::string where = fmt::format("symbols[{}]", i++);
        const dom::object o = as_object(e, where);
        saved_symbol sym;
        sym.id = std::string(as_string(field(o, "id", where), where + ".id"));
        if (sym.id.empty()) fail(where + ".id is empty");
        // Optional: files of an earlier tickerd have neither.
        dom::element cur_e, prec_e;
        if (!o.at_key("currency").get(cur_e)) sym.currency = std::string(as_string(cur_e, where + ".currency"));
        if (!o.at_key("precision").get(prec_e)) sym.precision = static_cast<int>(as_int(prec_e, where + ".precision"));
        const dom::element qe = field(o, "quote", where);
        if (!qe.is_null()) sym.last = parse_quote(qe, sym.id, where + ".quote");
        std::size_t k = 0;
        for (const dom::element pe : as_array(field(o, "history", where), where + ".history")) {
            const std::string pw = fmt::format("{}.history[{}]", where, k++);
            const dom::array pa = as_array(pe, pw);
            if (pa.size() != 2) fail(pw + " is not [time, price]");
            dom::element t, p;
            if (pa.at(0).get(t) || pa.at(1).get(p)) fail(pw + " is not [time, price]");
            sym.history.push_back({as_time(t, pw + "[0]"), as_decimal(p, pw + "[1]")});
        }
        s.symbols.push_back(std::move(sym));
    }
    i = 0;
    for (const dom::element e : as_array(field(root, "day_references", "file"), "day_references")) {
        const std::string where = fmt::format("day_references[{}]", i++);
        const dom::object o = as_object(e, where);
        saved_day_reference d;
        d.source = std::string(as_string(field(o, "source", where), where + ".source"));
        d.ref = day_reference::restore(parse_rate(field(o, "latest", where), where + ".latest"),
                                       parse_rate(field(o, "previous", where), where + ".previous"));
        s.day_references.push_back(std::move(d));
    }
    return s;
}

}  // namespace

std::string restore_refusal(const symbol_config& sym, const saved_symbol& saved) {
    if (!saved.last) return "no saved quote to tell its source";
    const std::string& source = saved.last->source;
    const bool configured = std::any_of(sym.sources.begin(), sym.sources.end(),
                                        [&](const source_ref& s) { return s.provider == source; });
    if (!configured) {
        std::string names;
        for (const auto& s : sym.sources) names += (names.empty() ? "" : ", ") + s.provider;
        return fmt::format("its source {} is not one of the configured sources ({})", source, names);
    }
    if (!saved.currency || !saved.precision) return "saved without its currency and precision (an earlier tickerd)";
    if (*saved.currency != sym.currency)
        return fmt::format("its currency {} is not the configured {}", *saved.currency, sym.currency);
    if (*saved.precision != sym.precision)
        return fmt::format("its precision {} is not the configured {}", *saved.precision, sym.precision);
    return {};
}

result<saved_state, std::string> parse_state(std::string_view bytes) {
    if (bytes.empty()) return std::string("empty file");
    dom::parser parser;
    const simdjson::padded_string json(bytes.data(), bytes.size());
    dom::element doc;
    if (auto err = parser.parse(json).get(doc)) return std::string("invalid JSON: ") + simdjson::error_message(err);
    try {
        return parse_root(doc);
    } catch (const bad_state& e) {
        return e.message;
    }
}

}  // namespace tickerd

// --- serialising ---
namespace tickerd {
namespace {

long long ms_of(time_point t) { return static_cast<long long>(t.time_since_epoch().count()); }

void append_quote(std::string& out, const quote& q) {
    fmt::format_to(std::back_inserter(out),
                   "{{\"price\":\"{}\",\"ref_price\":\"{}\",\"change\":\"{}\",\"change_pct\":\"{}\",\"direction\":\"{}\","
                   "\"market\":\"{}\",\"stale\":{},\"source\":{},\"as_of\":{},\"received_at\":{},\"seq\":{}}}",
                   q.price.to_string(), q.ref_price.to_string(), q.change.to_string(), q.change_pct.to_string(),
                   to_string(q.dir), to_string(q.market), q.stale ? "true" : "false", json_string(q.source),
                   ms_of(q.as_of), ms_of(q.received_at), q.seq);
}

void append_rate(std::string& out, const day_reference::rate_at& r) {
    fmt::format_to(std::back_inserter(out), "{{\"rate\":\"{}\",\"as_of\":{}}}", r.rate.to_string(), ms_of(r.as_of));
}

}  // namespace

std::string serialise_state(const saved_state& s) {
    std::string out;
    out.reserve(4096);
    fmt::format_to(std::back_inserter(out), "{{\"version\":{},\"saved_at\":{},\"symbols\":[", state_format_version,
                   ms_of(s.saved_at));
    bool first = true;
    for (const auto& sym : s.symbols) {
        if (!first) out += ',';
        first = false;
        out += "\n{\"id\":";
        out += json_string(sym.id);
        if (sym.currency) {
            out += ",\"currency\":";
            out += json_string(*sym.currency);
        }
        if (sym.precision) fmt::format_to(std::back_inserter(out), ",\"precision\":{}", *sym.precision);
        out += ",\"quote\":";
        if (sym.last) {
            append_quote(out, *sym.last);
        } else {
            out += "null";
        }
        out += ",\"history\":[";
        for (std::size_t i = 0; i < sym.history.size(); ++i) {
            if (i != 0) out += ',';
            fmt::format_to(std::back_inserter(out), "[{},\"{}\"]", ms_of(sym.history[i].t),
                           sym.history[i].price.to_string());
        }
        out += "]}";
    }
    out += "],\"day_references\":[";
    first = true;
    for (const auto& d : s.day_references) {
        if (!first) out += ',';
        first = false;
        out += "\n{\"source\":";
        out += json_string(d.source);
        out += ",\"latest\":";
        if (const auto r = d.ref.latest()) {
            append_rate(out, *r);
        } else {
            out += "null";
        }
        out += ",\"previous\":";
        if (const auto r = d.ref.previous()) {
            append_rate(out, *r);
        } else {
            out += "null";
        }
        out += '}';
    }
    out += "]}";
    return out;
}

std::string serialise_saved_quote(const quote& q) {
    std::string out;
    append_quote(out, q);
    return out;
}

result<quote, std::string> parse_saved_quote(std::string_view json, const std::string& id) {
    dom::parser parser;
    const simdjson::padded_string text(json.data(), json.size());
    dom::element doc;
    if (auto err = parser.parse(text).get(doc)) return std::string("invalid JSON: ") + simdjson::error_message(err);
    try {
        return parse_quote(doc, id, "quote");
    } catch (const bad_state& e) {
        return e.message;
    }
}

}  // namespace tickerd

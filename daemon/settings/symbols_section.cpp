// [[symbols]]: one entry per symbol served, with its sources in order of preference.
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"
#include "tickerd/feeds/openerapi.hpp"
#include "tickerd/feeds/registry.hpp"

namespace tickerd::config_sections {
namespace {

using namespace toml_reader;

constexpr std::string_view sim_provider = "sim";
constexpr std::size_t max_symbol_id_length = 32;

bool is_symbol_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._/=^-").find(c) != std::string_view::npos;
}

// The node of a required key.
const toml::node& required(const toml::table& t, const std::string& path, std::string_view k, std::string_view what) {
    const auto* n = t.get(k);
    if (n == nullptr) fail(join(path, k), fmt::format("required: {}", what), &t);
    return *n;
}

// A symbol id: unique, short, of letters, digits and a few marks.
std::string read_id(const toml::table& t, const std::string& path, const config& c) {
    const std::string key = join(path, "id");
    const auto& n = required(t, path, "id", "the symbol's id, e.g. \"NVDA\"");
    std::string id = get_string(n, key);
    if (id.empty()) fail(key, "must not be empty", &n);
    if (id.size() > max_symbol_id_length)
        fail(key, fmt::format("\"{}\" is longer than {} characters", id, max_symbol_id_length), &n);
    if (!std::all_of(id.begin(), id.end(), is_symbol_id_char))
        fail(key, fmt::format("\"{}\": only letters, digits and . _ / = ^ - are allowed", id), &n);
    for (std::size_t i = 0; i < c.symbols.size(); ++i)
        if (c.symbols[i].id == id)
            fail(key, fmt::format("duplicate symbol id \"{}\" (already used by symbols[{}])", id, i), &n);
    return id;
}

asset_class read_class(const toml::table& t, const std::string& path) {
    const std::string key = join(path, "class");
    const auto& n = required(t, path, "class", "equity, crypto or fx");
    const std::string cls = get_string(n, key);
    if (cls == "equity") return asset_class::equity;
    if (cls == "crypto") return asset_class::crypto;
    if (cls == "fx") return asset_class::fx;
    fail(key, fmt::format("unknown class \"{}\": use equity, crypto or fx", cls), &n);
}

std::string read_currency(const toml::table& t, const std::string& path) {
    const std::string key = join(path, "currency");
    const auto& n = required(t, path, "currency", "the quote currency, e.g. \"USD\"");
    std::string currency = get_string(n, key);
    const bool ok = !currency.empty() && currency.size() <= 12 &&
                    std::all_of(currency.begin(), currency.end(), [](char ch) {
                        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                    });
    if (!ok) fail(key, fmt::format("\"{}\": expected a currency code such as \"USD\"", currency), &n);
    return currency;
}

void read_sources(const toml::node& n, const std::string& key, const config& c, symbol_config& s) {
    const auto* arr = n.as_array();
    if (arr == nullptr) wrong_type(key, "an array of strings", n);
    if (arr->empty()) fail(key, "must list at least one source, e.g. [\"yahoo:NVDA\"]", &n);
    for (std::size_t j = 0; j < arr->size(); ++j) {
        const std::string k = index_path(key, j);
        const auto& item = (*arr)[j];
        const std::string text = get_string(item, k);
        source_ref ref;
        if (text == sim_provider) {
            ref.provider = text;
        } else {
            const auto colon = text.find(':');
            if (colon == std::string::npos)
                fail(k, fmt::format("\"{}\": expected \"provider:symbol\" (or just \"sim\")", text), &item);
            ref.provider = text.substr(0, colon);
            ref.upstream_symbol = text.substr(colon + 1);
            if (ref.provider.empty()) fail(k, fmt::format("\"{}\": the provider name is empty", text), &item);
            if (ref.upstream_symbol.empty())
                fail(k, fmt::format("\"{}\": the upstream symbol is empty", text), &item);
            if (ref.provider == sim_provider)
                fail(k, fmt::format("\"{}\": the sim provider takes no upstream symbol; write \"sim\"", text),
                     &item);
            if (has_control_chars(ref.upstream_symbol) || ref.upstream_symbol.find(' ') != std::string::npos)
                fail(k, fmt::format("\"{}\": the upstream symbol must not contain spaces", text), &item);
        }
        if (!is_known_provider(ref.provider))
            fail(k, fmt::format("unknown provider '{}'", ref.provider), &item);
        if (ref.provider == "openerapi" && !feeds::split_openerapi_symbol(ref.upstream_symbol))
            fail(k, fmt::format("\"{}\": openerapi symbols are BASE/QUOTE currency codes, e.g. \"openerapi:USD/VND\"", text),
                 &item);
        if (!c.providers.contains(ref.provider))
            fail(k,
                 fmt::format("provider '{}' is not configured: add [providers.{}]", ref.provider,
                             ref.provider),
                 &item);
        for (const auto& prev : s.sources) {
            if (prev.provider == ref.provider && prev.upstream_symbol == ref.upstream_symbol)
                fail(k, fmt::format("duplicate source \"{}\"", text), &item);
            if ((prev.provider == sim_provider) != (ref.provider == sim_provider))
                fail(k,
                     "\"sim\" cannot be mixed with real providers in one symbol: a simulated price must "
                     "never be served as a real one",
                     &item);
        }
        s.sources.push_back(std::move(ref));
    }
}

// start_price: required with a sim source, refused otherwise.
void read_start_price(const toml::table& t, const std::string& path, std::string_view toml_text, symbol_config& s) {
    const bool sim = s.sources.front().provider == sim_provider;
    const std::string key = join(path, "start_price");
    if (const auto* n = t.get("start_price")) {
        if (!sim) fail(key, "only used by the sim provider", n);
        const decimal price = get_decimal(*n, key, toml_text);
        if (!price.is_positive()) fail(key, "must be greater than zero", n);
        s.start_price = price;
    } else if (sim) {
        fail(key, "required for a symbol with a sim source: the price the simulation starts from", &t);
    }
}

// market: a [markets.NAME] table, else a built-in calendar.
void read_market(const toml::node& n, const std::string& key, const market_map& markets, symbol_config& s) {
    s.market = get_string(n, key);
    const auto found = markets.find(s.market);
    if (found != markets.end()) {
        s.calendar = found->second;
    } else if (const auto* builtin = find_builtin_calendar(s.market)) {
        s.calendar = std::make_shared<const market_calendar>(*builtin);
    } else {
        fail(key,
             fmt::format("unknown market \"{}\": use XNAS, XNYS, XHKG, FX, always or a [markets.NAME] table", s.market),
             &n);
    }
}

}  // namespace

symbol_config read_symbol(const toml::table& t, const std::string& path, const config& c, const market_map& markets,
                          std::string_view toml_text) {
    symbol_config s;
    check_keys(t, path,
               {"id", "name", "class", "currency", "precision", "sources", "max_age", "failover_after",
                "failback_after", "start_price", "market"});
    s.id = read_id(t, path, c);
    s.name = s.id;
    if (const auto* n = t.get("name")) {
        s.name = get_string(*n, join(path, "name"));
        if (s.name.empty()) fail(join(path, "name"), "must not be empty (leave it out to use the id)", n);
        if (has_control_chars(s.name)) fail(join(path, "name"), "must not contain control characters", n);
    }
    s.cls = read_class(t, path);
    s.currency = read_currency(t, path);
    if (const auto* n = t.get("precision"))
        s.precision = static_cast<int>(get_int(*n, join(path, "precision"), 0, decimal::scale));
    read_sources(required(t, path, "sources", "a list such as [\"yahoo:NVDA\"] or [\"sim\"]"), join(path, "sources"), c, s);
    if (const auto* n = t.get("max_age")) s.max_age = get_duration(*n, join(path, "max_age"), true);
    if (const auto* n = t.get("failover_after"))
        s.failover_after = static_cast<unsigned>(get_int(*n, join(path, "failover_after"), 1, 1000));
    if (const auto* n = t.get("failback_after"))
        s.failback_after = static_cast<unsigned>(get_int(*n, join(path, "failback_after"), 1, 1000));
    read_start_price(t, path, toml_text, s);
    if (const auto* n = t.get("market")) read_market(*n, join(path, "market"), markets, s);
    return s;
}

}  // namespace tickerd::config_sections

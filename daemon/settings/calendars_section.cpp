// The shipped calendars file (config/calendars.toml, installed in
// share/tickerd): [markets.NAME] tables only, read like the config's own.
#include <fmt/format.h>
#include <toml++/toml.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"

namespace tickerd::config_sections {

using namespace toml_reader;

market_map read_calendars_file(std::string_view path, std::string_view text) {
    toml::table root;
    try {
        root = toml::parse(text, std::string(path));
    } catch (const toml::parse_error& e) {
        fail("calendars", fmt::format("\"{}\": invalid TOML: line {}, column {}: {}", path, e.source().begin.line,
                                      e.source().begin.column, e.description()));
    }
    try {
        check_keys(root, "", {"markets"});
        const auto* markets = root.get("markets");
        return markets != nullptr ? read_markets(as_table(*markets, "markets")) : market_map{};
    } catch (const invalid& e) {
        throw invalid{"calendars", fmt::format("\"{}\": {}: {}", path, e.key, e.message)};
    }
}

}  // namespace tickerd::config_sections

#pragma once
// The readers of the config file's sections, one file each; config_loader.cpp
// walks the document and calls them. Private to settings.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "tickerd/config.hpp"
#include "tickerd/market_calendar.hpp"

namespace tickerd::config_sections {

// The [markets.NAME] calendars by name.
using market_map = std::map<std::string, std::shared_ptr<const market_calendar>>;

// server_section.cpp: [server] and [limits].
server_config read_server(const toml::table& t);
limits_config read_limits(const toml::table& t);

// cluster_section.cpp: [cluster] (role, NATS servers, buckets, lease, credentials, TLS).
cluster_config read_cluster(const toml::table& t);

// providers_section.cpp: one [providers.NAME] table, NAME a known provider; `path` is "providers.NAME".
provider_config read_provider(std::string_view name, const toml::table& t, const std::string& path);

// markets_section.cpp: the [markets] table. A NAME in `base` (the shipped
// calendars) starts from that calendar, else from the built-in of that name.
market_map read_markets(const toml::table& t, const market_map& base = {});

// calendars_section.cpp: the [markets] of the shipped calendars file (TOML
// text); an error there is reported under the config's key "calendars".
market_map read_calendars_file(std::string_view path, std::string_view text);

// symbols_section.cpp: one [[symbols]] entry, after those already in `c` (its providers read).
// `toml_text` is the whole document (for start_price).
symbol_config read_symbol(const toml::table& t, const std::string& path, const config& c, const market_map& markets,
                          std::string_view toml_text);

}  // namespace tickerd::config_sections

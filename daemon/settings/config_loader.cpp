// TOML text to a validated, immutable config. Every key is known: anything else is
// an error, reported with its full dotted path ("symbols[2].max_age") so a user can
// find it. Only the first error is reported. This file walks the document and reads
// the small sections; the large ones have a file each (config_sections.hpp).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "settings/config_loader.hpp"
#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"
#include "tickerd/feeds/registry.hpp"

namespace tickerd {
namespace {

using namespace toml_reader;
using namespace config_sections;

constexpr std::size_t max_config_bytes = 4 << 20;

std::string read_log_level(const toml::node& n) {
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    std::string s = get_string(n, "log_level");
    if (std::find(std::begin(levels), std::end(levels), s) == std::end(levels))
        fail("log_level",
             fmt::format("unknown level \"{}\": use trace, debug, info, warn, error, critical or off", s),
             &n);
    return s;
}

history_config read_history(const toml::table& t) {
    history_config h;
    check_keys(t, "history", {"resolution", "retention"});
    if (const auto* n = t.get("resolution")) {
        h.resolution = get_duration(*n, "history.resolution", true);
        if (h.resolution < milliseconds{1000}) fail("history.resolution", "must be at least 1s", n);
    }
    if (const auto* n = t.get("retention")) {
        h.retention = get_duration(*n, "history.retention", true);
        if (h.retention < h.resolution) fail("history.retention", "must be at least history.resolution", n);
        if (h.retention / h.resolution > 100'000)
            fail("history.retention", "keeps more than 100000 points per symbol: raise history.resolution", n);
    }
    return h;
}

bad_tick_config read_bad_tick(const toml::table& t, std::string_view toml_text) {
    bad_tick_config b;
    check_keys(t, "bad_tick", {"equity", "crypto", "fx"});
    for (auto [name, field] : {std::pair{"equity", &b.equity}, std::pair{"crypto", &b.crypto}, std::pair{"fx", &b.fx}}) {
        const auto* n = t.get(name);
        if (n == nullptr) continue;
        const std::string key = join("bad_tick", name);
        *field = get_decimal(*n, key, toml_text);
        if (field->is_negative() || *field > decimal::from_int(1000))
            fail(key, "must be a percentage from 0 (no check) to 1000", n);
    }
    return b;
}

// The whole document: every section in order, the providers and markets before the symbols that use them.
config read_document(const toml::table& root, std::string_view toml_text, const calendars_file* calendars) {
    config c;
    check_keys(root, "",
               {"log_level", "calendars", "server", "limits", "history", "bad_tick", "cluster", "symbols", "providers",
                "markets"});
    market_map shipped;
    if (const auto* n = root.get("calendars")) {
        const std::string path = get_string(*n, "calendars");
        if (path.empty() || has_control_chars(path)) fail("calendars", "must be a file path", n);
        if (calendars != nullptr) shipped = read_calendars_file(calendars->path, calendars->text);
    }
    if (const auto* n = root.get("log_level")) c.log_level = read_log_level(*n);
    if (const auto* n = root.get("server")) c.server = read_server(as_table(*n, "server"));
    if (const auto* n = root.get("limits")) c.limits = read_limits(as_table(*n, "limits"));
    if (const auto* n = root.get("history")) c.history = read_history(as_table(*n, "history"));
    if (const auto* n = root.get("bad_tick")) c.bad_tick = read_bad_tick(as_table(*n, "bad_tick"), toml_text);
    if (const auto* n = root.get("cluster")) c.cluster = read_cluster(as_table(*n, "cluster"));
    if (const auto* n = root.get("providers")) {
        for (const auto& [name, node] : as_table(*n, "providers")) {
            const std::string key = join("providers", name.str());
            if (!is_known_provider(name.str())) fail(key, fmt::format("unknown provider '{}'", name.str()), &node);
            c.providers.emplace(std::string(name.str()), read_provider(name.str(), as_table(node, key), key));
        }
    }
    market_map markets = shipped;
    if (const auto* n = root.get("markets")) markets = read_markets(as_table(*n, "markets"), shipped);
    const auto* syms = root.get("symbols");
    if (syms == nullptr) fail("symbols", "at least one [[symbols]] entry is required");
    const auto* arr = syms->as_array();
    if (arr == nullptr) wrong_type("symbols", "an array of tables ([[symbols]])", *syms);
    if (arr->empty()) fail("symbols", "at least one [[symbols]] entry is required", syms);
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string key = index_path("symbols", i);
        c.symbols.push_back(read_symbol(as_table((*arr)[i], key), key, c, markets, toml_text));
    }
    return c;
}

}  // namespace

result<config, config_error> parse_config(std::string_view toml_text, std::string_view file,
                                          const calendars_file* calendars) {
    toml::table root;
    try {
        root = toml::parse(toml_text, std::string(file));
    } catch (const toml::parse_error& e) {
        const auto& pos = e.source().begin;
        std::string message = std::string(e.description());
        if (pos.line != 0) message = fmt::format("line {}, column {}: {}", pos.line, pos.column, message);
        return config_error{std::string(file), "", "invalid TOML: " + message};
    }
    try {
        config c = read_document(root, toml_text, calendars);
        c.file = std::string(file);
        return c;
    } catch (const invalid& e) {
        return config_error{std::string(file), e.key, e.message};
    }
}

namespace {

// Every file under server.web_root is served to anyone: the root of the file
// system, a system directory or a home directory there would publish what it
// holds (as root: /etc/shadow). Symlinks are resolved first. Empty when fine.
std::string check_web_root(const std::string& web_root) {
    if (web_root.empty()) return {};
    std::error_code ec;
    const auto real = std::filesystem::weakly_canonical(web_root, ec);
    if (ec) return {};  // cannot be resolved: served as a missing web root (warned at start)
    std::vector<std::filesystem::path> forbidden{"/",     "/bin", "/boot", "/dev",  "/etc", "/home", "/lib",
                                                 "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv",
                                                 "/sys",  "/tmp", "/usr",  "/var"};
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        forbidden.push_back(std::filesystem::weakly_canonical(home, ec));
    }
    for (const auto& dir : forbidden) {
        if (real == dir) {
            return fmt::format("\"{}\" is {}: every file in it would be served; point it at a folder that holds only "
                               "the web client",
                               web_root, real == "/" ? "the root of the file system" : "a system or home directory (" + real.string() + ")");
        }
    }
    return {};
}

struct file_problem {
    std::string message;
};

// The whole file, at most max_config_bytes; else why not.
result<std::string, file_problem> read_text_file(const std::string& path) {
    auto unreadable = [](int err) {
        return file_problem{fmt::format("cannot read the file: {}", std::generic_category().message(err))};
    };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return unreadable(errno);
    std::string text;
    char buf[8192];
    while (true) {
        errno = 0;
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        text.append(buf, n);
        if (text.size() > max_config_bytes)
            return file_problem{fmt::format("the file is larger than {} bytes", max_config_bytes)};
        if (n < sizeof buf) {
            if (std::ferror(f.get())) return unreadable(errno != 0 ? errno : EIO);
            break;
        }
    }
    return text;
}

// The calendars file the config names, if any (parse_config checks the key itself).
result<std::optional<calendars_file>, config_error> read_calendars(const std::string& config_path,
                                                                   std::string_view config_text) {
    std::optional<std::string> named;
    try {
        named = toml::parse(config_text, config_path)["calendars"].value<std::string>();
    } catch (const toml::parse_error&) {
        return std::optional<calendars_file>{};  // parse_config reports it
    }
    if (!named || named->empty()) return std::optional<calendars_file>{};
    std::filesystem::path file(*named);
    if (file.is_relative()) file = std::filesystem::path(config_path).parent_path() / file;
    auto text = read_text_file(file.string());
    if (!text)
        return config_error{config_path, "calendars", fmt::format("\"{}\": {}", file.string(), text.error().message)};
    return std::optional<calendars_file>{calendars_file{file.string(), std::move(*text)}};
}

}  // namespace

result<config, config_error> load_config(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) {
        std::string message = text.error().message;
        if (message.starts_with("cannot read the file")) message.replace(0, 20, "cannot read the config file");
        if (message.starts_with("the file is")) message.replace(0, 8, "the config file");
        return config_error{path, "", std::move(message)};
    }
    auto calendars = read_calendars(path, *text);
    if (!calendars) return calendars.error();
    char buf[8192];
    auto cfg = parse_config(*text, path, *calendars ? &**calendars : nullptr);
    if (!cfg) return cfg;
    if (auto error = check_web_root(cfg->server.web_root); !error.empty())
        return config_error{path, "server.web_root", std::move(error)};
    // Extra CA files are read here (parse_config does no I/O); the TLS context loads them again at start.
    for (const auto& [name, p] : cfg->providers) {
        if (p.ca_file.empty()) continue;
        const std::string key = join(join("providers", name), "ca_file");
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> ca(std::fopen(p.ca_file.c_str(), "rb"), &std::fclose);
        if (!ca)
            return config_error{path, key,
                                fmt::format("cannot read \"{}\": {}", p.ca_file, std::generic_category().message(errno))};
        std::string pem;
        while (pem.size() <= max_config_bytes) {
            const std::size_t n = std::fread(buf, 1, sizeof buf, ca.get());
            pem.append(buf, n);
            if (n < sizeof buf) break;
        }
        if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return config_error{path, key, fmt::format("\"{}\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                                                       p.ca_file)};
    }
    // The NATS credentials and TLS files of [cluster]: readable now, or the start is refused.
    for (const auto& [name, file] : {std::pair<const char*, const std::string&>{"credentials_file", cfg->cluster.credentials_file},
                                     {"tls_ca_file", cfg->cluster.tls_ca_file},
                                     {"tls_cert_file", cfg->cluster.tls_cert_file},
                                     {"tls_key_file", cfg->cluster.tls_key_file}}) {
        if (file.empty()) continue;
        if (std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose); !f)
            return config_error{path, join("cluster", name),
                                fmt::format("cannot read \"{}\": {}", file, std::generic_category().message(errno))};
    }
    return cfg;
}

}  // namespace tickerd

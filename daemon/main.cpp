// tickerd: parse the command line, load the config, run the daemon.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app.hpp"
#include "ops/logging.hpp"
#include "settings/config_loader.hpp"
#include "settings/config_print.hpp"
#include "start_checks.hpp"
#include "version_info.hpp"

int main(int argc, char** argv) {
    CLI::App cli{"tickerd: a market ticker feed daemon"};
    // The installed config (from the install prefix); run from a source tree, pass --config.
    std::string config_path = TICKERD_DEFAULT_CONFIG;
    std::string log_level;
    bool check_only = false;
    cli.add_option("-c,--config", config_path, "TOML configuration file")->capture_default_str();
    cli.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off (overrides the config)");
    cli.add_flag("--check-config", check_only,
                 "validate the configuration as a start would, print it resolved (defaults included) as TOML and "
                 "exit (0 valid, 2 invalid)");
    cli.set_version_flag("-V,--version", tickerd::version_text(),
                         "print the version, build type and library versions, and exit");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = cli.exit(e);
        return rc == 0 ? 0 : 2;
    }

    auto cfg = tickerd::load_config(config_path);
    if (!cfg) {
        std::fprintf(stderr, "tickerd: invalid configuration: %s\n", cfg.error().what().c_str());
        return 2;
    }
    const std::string level = log_level.empty() ? cfg->log_level : log_level;
    // Everything a start would refuse is refused here, with or without --check-config.
    if (const auto error = tickerd::start_error(*cfg, level); !error.empty()) {
        std::fprintf(stderr, "tickerd: %s\n", error.c_str());
        return 2;
    }
    if (check_only) {
        std::fputs(tickerd::config_to_toml(*cfg).c_str(), stdout);
        std::fprintf(stderr, "%s: OK (%zu symbols)\n", config_path.c_str(), cfg->symbols.size());
        return 0;
    }
    tickerd::setup_logging(*tickerd::parse_log_level(level));
    try {
        return tickerd::run_daemon(*cfg);
    } catch (const std::exception& e) {
        spdlog::critical("fatal: {}", e.what());
        return 1;
    }
}

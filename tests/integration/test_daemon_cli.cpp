// The command line of the real binary: --check-config refuses what a start
// refuses, --version/-V name the build and its libraries, the default --config
// is the installed path, and an unknown config key gets a "did you mean".
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"

using namespace tickerd::test;
namespace fs = std::filesystem;

namespace {

struct cli_result {
    int status = -1;
    std::string out;
    std::string err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs `tickerd ARGS` in `dir` (its working directory) to completion.
cli_result run_in(const fs::path& dir, const std::vector<std::string>& args) {
    std::string cmd = "cd '" + dir.string() + "' && '" + default_tickerd_binary() + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " >out.txt 2>err.txt";
    const int st = std::system(cmd.c_str());
    cli_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(dir / "out.txt");
    r.err = slurp(dir / "err.txt");
    return r;
}

const std::string sim_config = R"([server]
listen = "127.0.0.1:0"

[providers.sim]
interval = "100ms"

[[symbols]]
id = "DEMO"
class = "equity"
currency = "USD"
sources = ["sim"]
start_price = "100.00"
)";

}  // namespace

TEST_CASE("check-config refuses an unknown --log-level as a start does", "[integration][cli]") {
    scratch_dir dir;
    std::ofstream(dir.path() / "t.toml") << sim_config;
    const std::string config = (dir.path() / "t.toml").string();
    const auto check = run_in(dir.path(), {"--check-config", "--config", config, "--log-level", "verbose"});
    CHECK(check.status == 2);
    CHECK(check.out.empty());
    CHECK(check.err.find("--log-level: unknown level 'verbose'") != std::string::npos);
    CHECK(check.err.find("OK") == std::string::npos);
    // A real start with the same arguments: the same refusal, before anything is served.
    const auto start = run_in(dir.path(), {"--config", config, "--log-level", "verbose"});
    CHECK(start.status == 2);
    CHECK(start.err.find("--log-level: unknown level 'verbose'") != std::string::npos);
    // A known level passes.
    CHECK(run_in(dir.path(), {"--check-config", "--config", config, "--log-level", "debug"}).status == 0);
}

TEST_CASE("check-config refuses a PEM-shaped ca_file a start cannot load", "[integration][cli]") {
    scratch_dir dir;
    // Shaped like PEM, so the config loader's own check passes; only loading it, as a start does, fails.
    std::ofstream(dir.path() / "not-pem.crt") << "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    std::ofstream(dir.path() / "t.toml") << R"([server]
listen = "127.0.0.1:0"

[providers.yahoo]
base_url = "https://127.0.0.1:9"
ca_file = ")" << (dir.path() / "not-pem.crt").string()
                                         << R"("

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
)";
    const auto r = run_in(dir.path(), {"--check-config", "--config", (dir.path() / "t.toml").string()});
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("providers.yahoo.ca_file: cannot load") != std::string::npos);
}

TEST_CASE("an unknown config key is named with the nearest known one", "[integration][cli]") {
    scratch_dir dir;
    std::string text = sim_config;
    text.replace(text.find("interval ="), 8, "intervall");
    std::ofstream(dir.path() / "t.toml") << text;
    const auto r = run_in(dir.path(), {"--check-config", "--config", (dir.path() / "t.toml").string()});
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("providers.sim.intervall: unknown key (line 5); did you mean \"interval\"?") != std::string::npos);
}

TEST_CASE("Version: -V and --version print the version, build type and library versions", "[integration][cli]") {
    scratch_dir dir;
    for (const char* opt : {"--version", "-V"}) {
        const auto r = run_in(dir.path(), {opt});
        INFO(opt << "\n" << r.out << r.err);
        CHECK(r.status == 0);
        const std::string text = r.out + r.err;
        CHECK(text.starts_with("tickerd " TICKERD_VERSION "\n"));
        CHECK(std::regex_search(text, std::regex(R"(\nbuild type: [A-Za-z]+)")));
        for (const char* lib : {"Boost", "simdjson", "spdlog", "fmt", "toml\\+\\+", "CLI11"}) {
            INFO(lib);
            CHECK(std::regex_search(text, std::regex(std::string("\\n") + lib + R"( \d+\.\d+\.\d+)")));
        }
        CHECK(std::regex_search(text, std::regex(R"(\nOpenSSL \d+\.\d+\.\d+)")));
    }
}

TEST_CASE("without --config the installed config is read, whatever the working directory", "[integration][cli]") {
    scratch_dir dir;
    // A config/tickerd.toml in the working directory is not what the default names.
    fs::create_directories(dir.path() / "config");
    std::ofstream(dir.path() / "config" / "tickerd.toml") << sim_config;
    const auto help = run_in(dir.path(), {"--help"});
    CHECK(help.out.find(TICKERD_DEFAULT_CONFIG) != std::string::npos);
    if (fs::exists(TICKERD_DEFAULT_CONFIG)) return;  // installed on this machine: nothing more to see
    const auto r = run_in(dir.path(), {"--check-config"});
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(TICKERD_DEFAULT_CONFIG) != std::string::npos);
}

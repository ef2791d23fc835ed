#include "version_info.hpp"

#include <CLI/Version.hpp>
#include <boost/version.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/version.h>
#include <toml++/impl/version.h>

namespace tickerd {

std::string version_text() {
    const std::string sanitizers = TICKERD_SANITIZE[0] != '\0' ? fmt::format(", sanitizers: {}", TICKERD_SANITIZE) : "";
    return fmt::format(
        "tickerd {}\n"
        "build type: {}{}\n"
        "Boost {}.{}.{}\n"
        "simdjson {}.{}.{}\n"
        "spdlog {}.{}.{}\n"
        "fmt {}.{}.{}\n"
        "toml++ {}.{}.{}\n"
        "CLI11 {}\n"
        "{} (built with {})",
        TICKERD_VERSION, TICKERD_BUILD_TYPE, sanitizers,
        BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
        static_cast<int>(simdjson::SIMDJSON_VERSION_MAJOR), static_cast<int>(simdjson::SIMDJSON_VERSION_MINOR),
        static_cast<int>(simdjson::SIMDJSON_VERSION_REVISION),
        SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH,
        FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100,
        TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH,
        CLI11_VERSION,
        OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_TEXT);
}

}  // namespace tickerd

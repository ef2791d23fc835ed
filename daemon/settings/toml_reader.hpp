#pragma once
// Reading TOML values for the config loader: typed getters that throw `invalid`
// with the full dotted key ("symbols[2].max_age") and the line. Private to settings.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "tickerd/decimal.hpp"

namespace tickerd::toml_reader {

using std::chrono::milliseconds;

// Thrown inside the readers, caught once in parse_config.
struct invalid {
    std::string key;
    std::string message;
};

std::string join(std::string_view path, std::string_view key);
std::string index_path(std::string_view path, std::size_t i);

[[noreturn]] void fail(std::string key, std::string message, const toml::node* at = nullptr);
[[noreturn]] void wrong_type(const std::string& key, std::string_view expected, const toml::node& n);

// Rejects keys outside `allowed`, the first one in document order.
void check_keys(const toml::table& t, std::string_view path, std::initializer_list<std::string_view> allowed);

const toml::table& as_table(const toml::node& n, const std::string& key);
std::string get_string(const toml::node& n, const std::string& key);
std::int64_t get_int(const toml::node& n, const std::string& key, std::int64_t min, std::int64_t max);
// A duration string ("5s"); with `positive`, zero is refused.
milliseconds get_duration(const toml::node& n, const std::string& key, bool positive);
// A number, or a decimal string read exactly ("1284.30"). `toml_text` is the whole
// document: a float is read from its text as written.
decimal get_decimal(const toml::node& n, const std::string& key, std::string_view toml_text);

// f(value, key, node) for each string of an array of strings.
template <class F>
void for_each_string(const toml::node& n, const std::string& key, F&& f) {
    const auto* arr = n.as_array();
    if (arr == nullptr) wrong_type(key, "an array of strings", n);
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string k = index_path(key, i);
        f(get_string((*arr)[i], k), k, (*arr)[i]);
    }
}

bool has_control_chars(std::string_view s);
bool all_digits(std::string_view s);

}  // namespace tickerd::toml_reader

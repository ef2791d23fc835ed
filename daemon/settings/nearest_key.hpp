#pragma once
// "did you mean": the known key closest to a misspelt one.
#include <initializer_list>
#include <optional>
#include <string_view>

namespace tickerd {

// Edits (insert, delete, substitute, swap of two neighbours; letters compared
// without case) that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The key of `known` fewest edits away from `unknown`, if it is close enough to
// be a slip (at most a third of the longer name, and at least one character
// kept); the first listed wins a tie.
std::optional<std::string_view> nearest_key(std::string_view unknown, std::initializer_list<std::string_view> known);

}  // namespace tickerd

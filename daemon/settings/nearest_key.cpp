#include "settings/nearest_key.hpp"

#include <algorithm>
#include <vector>

namespace tickerd {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: Levenshtein plus the swap of two adjacent characters.
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::optional<std::string_view> nearest_key(std::string_view unknown, std::initializer_list<std::string_view> known) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 0;
    for (std::string_view k : known) {
        const std::size_t distance = edit_distance(unknown, k);
        const std::size_t longer = std::max(unknown.size(), k.size());
        if (distance * 3 > longer || distance >= unknown.size()) continue;
        if (!best || distance < best_distance) {
            best = k;
            best_distance = distance;
        }
    }
    return best;
}

}  // namespace tickerd

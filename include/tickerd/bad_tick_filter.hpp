#pragma once
// Holds back a price that jumps more than the class's limit from the last
// published one until a second observation (the next poll, or another source)
// confirms it. A glitch that is not repeated never reaches a page. Thread-safe.
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "tickerd/config.hpp"
#include "tickerd/decimal.hpp"

namespace tickerd {

class bad_tick_filter {
public:
    explicit bad_tick_filter(const config& cfg);

    enum class verdict {
        pass,       // within the limit, or no previous price
        held,       // a jump seen once: held back
        confirmed,  // a jump seen again (close to the held price): publish it
    };
    verdict check(std::size_t index, decimal price, std::optional<decimal> last_published);
    // A reload: new limits, nothing held.
    void reset(const config& cfg);

private:
    std::mutex mu_;
    std::vector<decimal> limits_;  // percent per symbol; zero: off
    std::vector<std::optional<decimal>> held_;
};

}  // namespace tickerd

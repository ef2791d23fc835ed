#pragma once
// The previous-day references the daemon keeps for sources that give none
// (open.er-api), one per source ("openerapi:USD/VND"). Thread-safe: poll loops
// feed it, the state saver reads it.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tickerd/day_reference.hpp"
#include "tickerd/state.hpp"

namespace tickerd {

class day_reference_book {
public:
    // Records a rate of `source` and returns the reference for it: the last rate
    // of an earlier UTC day than as_of's, nullopt while none is known.
    std::optional<decimal> observe(const std::string& source, decimal rate, time_point as_of);

    // For the state file, and putting a saved one back (before the loops start).
    std::vector<saved_day_reference> entries() const;
    void restore(const saved_day_reference& saved);

    // Increases on every change (for the saver's "anything to save?").
    std::uint64_t version() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, day_reference> refs_;
    std::uint64_t version_ = 0;
};

}  // namespace tickerd

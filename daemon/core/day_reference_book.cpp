#include "tickerd/day_reference_book.hpp"

namespace tickerd {

std::optional<decimal> day_reference_book::observe(const std::string& source, decimal rate, time_point as_of) {
    const std::scoped_lock lk(mu_);
    day_reference& ref = refs_[source];
    const day_reference before = ref;
    ref.observe(rate, as_of);
    if (!(ref == before)) ++version_;
    return ref.reference_at(as_of);
}

std::vector<saved_day_reference> day_reference_book::entries() const {
    const std::scoped_lock lk(mu_);
    std::vector<saved_day_reference> out;
    out.reserve(refs_.size());
    for (const auto& [source, ref] : refs_) out.push_back({source, ref});
    return out;
}

void day_reference_book::restore(const saved_day_reference& saved) {
    const std::scoped_lock lk(mu_);
    refs_[saved.source] = saved.ref;
}

std::uint64_t day_reference_book::version() const {
    const std::scoped_lock lk(mu_);
    return version_;
}

}  // namespace tickerd

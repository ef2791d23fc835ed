#include "serve/connection_limiter.hpp"

namespace tickerd {

connection_slot& connection_slot::operator=(connection_slot&& o) noexcept {
    if (this != &o) {
        release();
        owner_ = o.owner_;
        ip_ = std::move(o.ip_);
        o.owner_ = nullptr;
        o.ip_.clear();
    }
    return *this;
}

void connection_slot::release() {
    if (owner_ == nullptr) return;
    owner_->release(ip_);
    owner_ = nullptr;
    ip_.clear();
}

connection_slot connection_limiter::admit(const std::string& ip) {
    connection_slot s;
    const std::scoped_lock lk(mu_);
    if (max_total_ != 0 && total_ >= max_total_) return s;
    if (!ip.empty()) {
        auto& n = per_ip_[ip];
        if (max_per_ip_ != 0 && n >= max_per_ip_) {
            if (n == 0) per_ip_.erase(ip);
            return s;
        }
        ++n;
    }
    ++total_;
    s.owner_ = this;
    s.ip_ = ip;
    return s;
}

bool connection_limiter::reassign(connection_slot& slot, const std::string& ip) {
    if (slot.owner_ != this || slot.ip_ == ip) return slot.owner_ == this;
    const std::scoped_lock lk(mu_);
    if (!ip.empty()) {
        auto& n = per_ip_[ip];
        if (max_per_ip_ != 0 && n >= max_per_ip_) {
            if (n == 0) per_ip_.erase(ip);
            return false;
        }
        ++n;
    }
    if (!slot.ip_.empty()) {
        if (auto it = per_ip_.find(slot.ip_); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
    }
    slot.ip_ = ip;
    return true;
}

void connection_limiter::release(const std::string& ip) {
    const std::scoped_lock lk(mu_);
    --total_;
    if (!ip.empty()) {
        if (auto it = per_ip_.find(ip); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
    }
}

std::size_t connection_limiter::total() const {
    const std::scoped_lock lk(mu_);
    return total_;
}

std::size_t connection_limiter::count(const std::string& ip) const {
    const std::scoped_lock lk(mu_);
    const auto it = per_ip_.find(ip);
    return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace tickerd

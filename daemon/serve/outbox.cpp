#include "serve/outbox.hpp"

#include <algorithm>
#include <limits>

#include "tickerd/protocol.hpp"

namespace tickerd {

namespace {

std::size_t quote_bytes(const quote_change& c) { return c.quote && c.quote->json ? c.quote->json->size() : 0; }

}  // namespace

std::size_t outgoing::size() const {
    std::size_t n = head.size();
    for (const auto& p : pieces) n += p->size();
    return n;
}

std::string outgoing::text() const {
    std::string out = head;
    for (const auto& p : pieces) out += *p;
    return out;
}

void outgoing::clear() {
    event = {};
    id = 0;
    head.clear();
    pieces.clear();
}

void outbox::set_max_hz(unsigned hz) { max_hz_ = hz; }

outbox::clock::duration outbox::gap() const {
    if (max_hz_ == 0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(std::chrono::seconds(1)) / max_hz_;
}

bool outbox::over_budget() const {
    return queued_bytes() > limits_.max_bytes || messages_.size() > limits_.max_messages;
}

bool outbox::push_message(std::string_view event, std::uint64_t id, shared_text text) {
    const std::size_t n = text->size();
    if (queued_bytes() + n > limits_.max_bytes || messages_.size() + 1 > limits_.max_messages) return false;
    messages_.push_back(outgoing{event, id, {}, {std::move(text)}});
    message_bytes_ += n;
    return true;
}

bool outbox::push_change(const quote_change& change) {
    if (change.index >= pending_.size()) pending_.resize(change.index + 1);
    quote_change& slot = pending_[change.index];
    if (slot.quote) {
        if (change.seq <= slot.seq) return true;  // an older change never replaces a newer one
        pending_bytes_ -= quote_bytes(slot);
        ++coalesced_;
    } else {
        ++pending_count_;
    }
    slot = change;
    pending_bytes_ += quote_bytes(change);
    return !over_budget();
}

void outbox::drop(const std::vector<std::size_t>& indexes) {
    for (const std::size_t i : indexes) {
        if (i < pending_.size() && pending_[i].quote) {
            pending_bytes_ -= quote_bytes(pending_[i]);
            pending_[i] = {};
            --pending_count_;
        }
    }
}

void outbox::clear_pending() {
    if (pending_count_ != 0) {
        for (auto& c : pending_) c = {};
    }
    pending_count_ = 0;
    pending_bytes_ = 0;
}

void outbox::clear() {
    messages_.clear();
    message_bytes_ = 0;
    clear_pending();
}

std::optional<outbox::clock::time_point> outbox::due() const {
    if (!messages_.empty() || pending_count_ == 0 || !last_update_ || max_hz_ == 0) return std::nullopt;
    return *last_update_ + gap();
}

bool outbox::next(clock::time_point now, outgoing& out) {
    if (!messages_.empty()) {
        out = std::move(messages_.front());
        messages_.pop_front();
        message_bytes_ -= out.size();
        return true;
    }
    if (pending_count_ == 0) return false;
    if (max_hz_ != 0 && last_update_ && now < *last_update_ + gap()) return false;
    last_update_ = now;
    out.clear();
    out.event = "update";
    if (pending_count_ == 1) {
        // The one change's own update message, shared by every client.
        const quote_change& c = *std::find_if(pending_.begin(), pending_.end(), [](const auto& p) { return p.quote; });
        out.id = c.seq;
        out.pieces.push_back(c.update_message);
    } else {
        // One update of every pending quote: its own head, then the quotes' shared texts.
        std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
        for (const auto& c : pending_) {
            if (!c.quote) continue;
            out.id = std::max(out.id, c.seq);
            oldest = std::min(oldest, c.published_us);
            if (!out.pieces.empty()) out.pieces.push_back(update_comma());
            out.pieces.push_back(c.quote->json);
        }
        out.pieces.push_back(update_tail());
        write_update_head(out.head, out.id, oldest);
    }
    clear_pending();
    return true;
}

std::optional<outgoing> outbox::next(clock::time_point now) {
    outgoing m;
    if (!next(now, m)) return std::nullopt;
    return m;
}

}  // namespace tickerd

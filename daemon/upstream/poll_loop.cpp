#include "upstream/poll_loop.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tickerd/market_calendar.hpp"
#include "upstream/backoff.hpp"

namespace tickerd {

namespace net = boost::asio;
using std::chrono::milliseconds;

namespace {

// The provider's policy; the config loader accepts known providers only.
const provider_policy& policy_of(const provider_config& provider) { return *find_provider(provider.name); }

// The provider's key header, sent with every request (and never part of a logged URL).
std::vector<std::pair<std::string, std::string>> key_headers(const poll_feed& feed, std::string key) {
    if (feed.key_header.empty() || key.empty()) return {};
    return {{std::string(feed.key_header), std::move(key)}};
}

// How a parser's error is counted in tickerd_upstream_requests_total.
upstream_outcome outcome_of(feed_error_kind k) {
    switch (k) {
        case feed_error_kind::malformed: return upstream_outcome::malformed;
        case feed_error_kind::upstream_error: return upstream_outcome::http_error;
        case feed_error_kind::rate_limited: return upstream_outcome::rate_limited;
        case feed_error_kind::no_data: return upstream_outcome::no_data;
        case feed_error_kind::bad_price: return upstream_outcome::bad_price;
    }
    return upstream_outcome::malformed;
}

time_point now_ms() { return std::chrono::time_point_cast<milliseconds>(clock_type::now()); }

// True when every symbol of a loop has a calendar whose market is closed (or at a break) at `now`.
bool all_resting(const snapshot_store& store, const std::vector<fed_symbol>& symbols, time_point now) {
    return std::all_of(symbols.begin(), symbols.end(), [&](const fed_symbol& f) {
        const auto sym = store.symbol(f.index);
        const auto& cal = sym ? sym->calendar : nullptr;
        return cal != nullptr && is_resting(state_at(*cal, now));
    });
}

}  // namespace

poll_loop::poll_loop(net::any_io_executor ex, net::ssl::context& tls, const poll_feed& feed,
                     const provider_config& provider, std::string upstream_symbol, std::vector<fed_symbol> symbols,
                     ingest& in, rate_limited_log& log, metrics& stats,
                     std::string api_key, day_reference_book* day_references, std::shared_ptr<request_pacer> pacer)
    : strand_(net::make_strand(ex)),
      timer_(strand_),
      feed_(feed),
      provider_(provider),
      label_(provider.name + ":" + upstream_symbol),
      upstream_symbol_(upstream_symbol),
      targets_(feed.targets(upstream_symbol)),
      symbols_(std::move(symbols)),
      client_(strand_, tls, parse_base_url(provider.base_url, url_family::http).value(),
              http_client_options{provider.timeout, provider.max_body_bytes,
                                  provider.user_agent.empty() ? std::string(policy_of(provider).user_agent)
                                                              : provider.user_agent,
                                  key_headers(feed, std::move(api_key))}),
      ingest_(in),
      source_{provider.name, label_, policy_of(provider).reference, &stats.provider(provider.name)},
      log_(log),
      stats_(stats.provider(provider.name)),
      day_references_(day_references),
      pacer_(std::move(pacer)),
      rng_(std::random_device{}()) {}

void poll_loop::start() {
    // A small random offset so that loops of one provider do not fire together.
    std::uniform_int_distribution<long> d(0, std::min<long>(200, provider_.interval.count()));
    net::dispatch(strand_, [self = shared_from_this(), delay = milliseconds(d(rng_))] { self->schedule(delay); });
}

void poll_loop::stop() {
    net::dispatch(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->timer_.cancel();
        self->client_.close();
    });
}

void poll_loop::schedule(milliseconds delay) {
    if (stopped_) return;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->stopped_) return;
        self->poll();
    });
}

void poll_loop::poll() {
    replies_.clear();
    poll_started_ = std::chrono::steady_clock::now();
    fetch_next();
}

void poll_loop::fetch_next() {
    if (pacer_) {
        // The provider's budget: wait for our slot on the timer (never block the io thread).
        const auto now = request_pacer::clock::now();
        const auto slot = pacer_->reserve(now);
        if (slot > now) {
            timer_.expires_at(slot);
            timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
                if (ec || self->stopped_) return;
                self->send_next();
            });
            return;
        }
    }
    send_next();
}

void poll_loop::send_next() {
    // Weak: the loop owns the client, so a reply handler owning the loop would be
    // a cycle, leaked when the daemon stops with a request in flight.
    client_.get(targets_[replies_.size()], [weak = weak_from_this()](fetch_result r) {
        if (auto self = weak.lock()) {
            net::dispatch(self->strand_, [self, r = std::move(r)]() mutable { self->on_fetch(std::move(r)); });
        }
    });
}

void poll_loop::on_fetch(fetch_result r) {
    if (stopped_) return;
    if (!r.ok) {
        // http_client reports its deadline as "timed out after N ms"; everything else is the network.
        const auto outcome = r.error.starts_with("timed out") ? upstream_outcome::timeout : upstream_outcome::network;
        return on_failure({feed_error_kind::upstream_error, r.error}, outcome, std::nullopt);
    }
    const unsigned status = r.status;
    if ((status == 429 || status == 503) && r.retry_after) {
        return on_failure({status == 429 ? feed_error_kind::rate_limited : feed_error_kind::upstream_error,
                           fmt::format("HTTP {}, retry after {} s", status, r.retry_after->count())},
                          status == 429 ? upstream_outcome::rate_limited : upstream_outcome::http_error, r.retry_after);
    }
    replies_.push_back(std::move(r));
    const bool success = status >= 200 && status < 300;
    if (success && replies_.size() < targets_.size()) return fetch_next();
    // An error status ends the poll early; the parser reads the error from the replies so far.
    replies_.resize(targets_.size());
    on_replies();
}

void poll_loop::on_replies() {
    std::vector<http_reply> replies;
    replies.reserve(replies_.size());
    for (const auto& r : replies_) replies.push_back(http_reply{r.status, r.content_type, r.body});
    const time_point now = now_ms();
    auto parsed = feed_.parse(replies, upstream_symbol_, now);
    if (!parsed) return on_failure(parsed.error(), outcome_of(parsed.error().kind), std::nullopt);
    if (feed_.daemon_day_reference && day_references_ != nullptr) {
        // The day of a rate is the upstream's (time_last_update_unix), not the time we polled.
        parsed->reference = day_references_->observe(label_, parsed->price, parsed->as_of.value_or(now));
    }
    bool any_accepted = false;
    for (const fed_symbol to : symbols_) any_accepted = ingest_.quote(source_, to, *parsed, now) || any_accepted;
    if (!any_accepted) {
        ++failures_;
        stats_.record(upstream_outcome::rejected, poll_duration());
        return schedule(backoff());
    }
    stats_.record(upstream_outcome::ok, poll_duration());
    if (failures_ > 0) log_.recovered(label_);
    failures_ = 0;
    schedule(all_resting(ingest_.store(), symbols_, now) ? provider_.closed_interval : provider_.interval);
}

void poll_loop::on_failure(const feed_error& error, upstream_outcome outcome,
                           std::optional<std::chrono::seconds> retry_after) {
    stats_.record(outcome, poll_duration());
    for (const fed_symbol to : symbols_) ingest_.failed(to);
    ++failures_;
    milliseconds delay = backoff();
    if (retry_after) delay = std::max<milliseconds>(delay, std::min<milliseconds>(*retry_after, std::chrono::hours(1)));
    log_.failure(label_, fmt::format("{}: {}", to_string(error.kind), error.message),
                 fmt::format("; backing off, next try in {:.1f} s", static_cast<double>(delay.count()) / 1000.0));
    schedule(delay);
}

milliseconds poll_loop::backoff() {
    return backoff_delay(provider_.interval, failures_, provider_.max_backoff, rng_);
}

}  // namespace tickerd

#pragma once
// What a publisher writes to the cluster's quote bucket for one symbol, and how
// an edge reads it back (pure; the NATS side is in daemon/cluster/). The key is
// the symbol id made safe for a key-value key; the value is
//   {"v":1,"symbol":ID,"changed":C,"quote":{…the state file's quote form…}}
// where C is the bucket revision at which this quote's content last changed (0:
// this entry's own revision), so that a publisher's periodic re-write of an
// unchanged quote (which keeps it fresh on the edges) does not renumber it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

// A quote's seq on an edge: the bucket revision times this. The numbers in
// between are the edge's own changes (a quote marked stale locally, a reload),
// so that every seq the cluster gives means the same on every edge.
inline constexpr std::uint64_t cluster_seq_scale = 1000;

struct cluster_entry {
    std::string symbol;
    std::uint64_t changed = 0;
    quote q;
};

// [A-Za-z0-9_-] as they are, every other byte as "=HH" (upper-case hex): a valid
// key for any symbol id, and two ids never share one.
std::string cluster_key(std::string_view symbol_id);

// The key publishers write their heartbeat to (no symbol id gives it: '=' is
// always followed by two hex digits), so that an edge can tell a quiet bucket
// from a watch that has stopped delivering.
inline constexpr std::string_view cluster_heartbeat_key = "=heartbeat";

std::string encode_cluster_entry(const cluster_entry& e);
result<cluster_entry, std::string> decode_cluster_entry(std::string_view value);

}  // namespace tickerd

#pragma once
// After a reload, one stream client (WebSocket or SSE) remaps its subscription
// to the store's current symbols. Used on the session's shard thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serve/stream_subscription.hpp"
#include "tickerd/protocol.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

struct layout_message {
    std::string_view event;  // "removed" or "update"
    std::uint64_t seq = 0;
    shared_text text;
};

// Remaps `sub` when the store's layout is newer than `layout_version` (updated).
// With `announce`, returns what to tell the client: "removed" for subscribed
// symbols that are gone, and an update with the quotes the store already holds
// for symbols it now follows. Nothing to send when the layout did not change.
inline std::vector<layout_message> sync_stream_layout(const snapshot_store& store, stream_subscription& sub,
                                                      std::uint64_t& layout_version, bool announce) {
    std::vector<layout_message> out;
    const auto lay = store.layout();
    if (lay->version == layout_version) return out;
    layout_version = lay->version;
    const layout_delta delta = sub.relayout(lay->active);
    if (!announce) return out;
    if (!delta.removed.empty()) {
        std::vector<std::string> ids;
        for (const std::size_t i : delta.removed) ids.push_back(lay->slots[i]->id);
        sub.sent(lay->seq);
        out.push_back({"removed", lay->seq, std::make_shared<const std::string>(encode_removed(lay->seq, ids))});
    }
    if (!delta.added.empty()) {
        const auto view = store.snapshot(delta.added);
        sub.snapshot_sent(delta.added, view.seq);
        if (!view.quotes.empty()) {
            out.push_back({"update", view.seq, std::make_shared<const std::string>(encode_update(view.seq, unix_now_us(), view.quotes))});
        }
    }
    return out;
}

}  // namespace tickerd

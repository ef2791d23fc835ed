// A symbol's entry in the cluster's quote bucket, to and from its text. See tickerd/cluster_entry.hpp.
#include "tickerd/cluster_entry.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "tickerd/protocol.hpp"
#include "tickerd/state.hpp"

namespace tickerd {

std::string cluster_key(std::string_view symbol_id) {
    std::string out;
    out.reserve(symbol_id.size());
    for (const char ch : symbol_id) {
        const auto c = static_cast<unsigned char>(ch);
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (plain) {
            out += ch;
        } else {
            out += fmt::format("={:02X}", c);
        }
    }
    return out;
}

std::string encode_cluster_entry(const cluster_entry& e) {
    return fmt::format("{{\"v\":1,\"symbol\":{},\"changed\":{},\"quote\":{}}}", json_string(e.symbol), e.changed,
                       serialise_saved_quote(e.q));
}

result<cluster_entry, std::string> decode_cluster_entry(std::string_view value) {
    namespace dom = simdjson::dom;
    dom::parser parser;
    const simdjson::padded_string text(value.data(), value.size());
    dom::element doc;
    if (auto err = parser.parse(text).get(doc)) return std::string("invalid JSON: ") + simdjson::error_message(err);
    dom::object root;
    if (doc.get(root) != simdjson::SUCCESS) return std::string("not a JSON object");
    std::uint64_t version = 0;
    if (root["v"].get(version) != simdjson::SUCCESS || version != 1) return std::string("unknown entry version");
    cluster_entry e;
    std::string_view symbol;
    if (root["symbol"].get(symbol) != simdjson::SUCCESS || symbol.empty()) return std::string("no symbol");
    e.symbol = std::string(symbol);
    if (root["changed"].get(e.changed) != simdjson::SUCCESS) return std::string("no changed revision");
    dom::element q;
    if (root["quote"].get(q) != simdjson::SUCCESS) return std::string("no quote");
    auto parsed = parse_saved_quote(simdjson::minify(q), e.symbol);
    if (!parsed) return parsed.error();
    e.q = std::move(*parsed);
    return e;
}

}  // namespace tickerd

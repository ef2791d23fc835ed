// Fuzzes every JSON encoder of core/protocol.cpp (and the state file's) with
// arbitrary bytes in every text field: symbol id, name, currency, source, error
// message, client message. Whatever the bytes, each output must be valid UTF-8
// and valid JSON (a WebSocket client fails a connection on an invalid text frame).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "fuzz_check.hpp"
#include "tickerd/protocol.hpp"
#include "tickerd/snapshot_store.hpp"
#include "tickerd/state.hpp"
#include "tickerd/utf8.hpp"

namespace {

void check_json(const std::string& out) {
    using tickerd::fuzz::check;
    check(tickerd::is_valid_utf8(out));
    static simdjson::dom::parser parser;
    simdjson::dom::element doc;
    check(!parser.parse(out).get(doc));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tickerd;
    // Fields separated by 0x1F: id, name, currency, source, message.
    std::vector<std::string> f(5);
    std::size_t k = 0;
    for (const char c : fuzz::as_text(data, size)) {
        if (c == '\x1F' && k + 1 < f.size()) {
            ++k;
        } else {
            f[k] += c;
        }
    }
    symbol_config sym;
    sym.id = f[0];
    sym.name = f[1];
    sym.currency = f[2];
    quote q;
    q.symbol = f[0];
    q.price = *decimal::parse("1284.30");
    q.ref_price = *decimal::parse("1266.32");
    q.change = q.price - q.ref_price;
    q.source = f[3];
    auto pub = std::make_shared<published_quote>();
    pub->q = q;
    pub->json = std::make_shared<const std::string>(encode_quote(sym, q));
    check_json(*pub->json);
    check_json(encode_update(7, 1796626260000123, {pub}));
    check_json(encode_stream_snapshot(7, 3, {pub}));
    check_json(encode_http_error(f[4]));
    check_json(encode_stream_error("bad_request", f[4]));
    check_json(encode_removed(7, {f[0], f[1]}));
    check_json(encode_history(sym, "1d", std::chrono::minutes(1), {}));
    if (const auto m = parse_client_message(fuzz::as_text(data, size)); !m) check_json(encode_stream_error("bad_request", m.error()));
    saved_state st;
    saved_symbol s;
    s.id = f[0];
    s.last = q;
    st.symbols.push_back(s);
    st.day_references.push_back(saved_day_reference{f[3], {}});
    check_json(serialise_state(st));
    return 0;
}

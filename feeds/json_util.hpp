#pragma once
// Private helpers shared by the JSON feed parsers (yahoo.cpp, coinbase.cpp,
// binance.cpp, kraken.cpp, finnhub.cpp, openerapi.cpp, coinbase_ws.cpp): body
// sniffing, short log-safe snippets, whole-document validation with simdjson
// on-demand, and exact number extraction from the JSON text. Defined in
// json_util.cpp.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/decimal.hpp"
#include "tickerd/feeds/registry.hpp"  // url_encode
#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds::detail {

namespace od = simdjson::ondemand;

std::string_view strip_bom(std::string_view s);

bool is_2xx(unsigned status);

// First non-blank character is '{'. Anything else (HTML, plain text, empty) is
// not a reply these parsers can read.
bool looks_like_json_object(std::string_view body);

bool contains_nocase(std::string_view hay, std::string_view needle);

// Excerpt of a reply body that is not the JSON we expected: one line of at most
// 60 printable ASCII characters; the text of an HTML page without its markup.
std::string body_excerpt(std::string_view body);

// A message text taken from inside a JSON reply, as one printable ASCII line of
// at most `max` characters.
std::string clean_text(std::string_view s, std::size_t max = 160);

std::string status_prefix(unsigned status);

feed_error make_error(feed_error_kind kind, std::string message);

// An error whose message starts with where it happened: a status ("HTTP 503: ",
// see status_prefix), a message type ("heartbeat: "), or both ("ticker: HTTP 429: ").
feed_error fail(feed_error_kind kind, std::string_view context, std::string_view what);
// The same for a reply with HTTP status `status`: "HTTP 503: <what>".
feed_error fail(feed_error_kind kind, unsigned status, std::string_view what);


// One field of an object, as far as these parsers care.
struct scalar_field {
    enum class kind { missing, null, number, string, other };
    kind k = kind::missing;
    std::string text;  // number: its JSON text; string: the unescaped string
};

// Classifies one value: a number keeps its exact JSON text, a string its unescaped text.
scalar_field scalar_of(od::value& v);

scalar_field read_scalar(od::object& obj, std::string_view key);

// Whole seconds from a JSON number (integer, or a fraction truncated toward zero).
std::optional<std::int64_t> to_seconds(const scalar_field& f);

// A plain non-negative JSON integer (digits only: no sign, fraction or exponent)
// of at most 19 digits: millisecond times, sequence numbers, counts. These can
// exceed decimal's range (±9.2e10), so they are not read through it.
std::optional<std::uint64_t> to_unsigned(const scalar_field& f);

// The JSON types a price field may have: Yahoo, Finnhub and open.er-api send
// numbers; Coinbase, Binance and Kraken send decimal strings (numbers tolerated).
enum class price_json { number, number_or_string };

// A price read exactly from its text, named `name` in messages. The sign is left
// to the caller. Missing or of another type: malformed; null, unparsable or out
// of range: bad_price.
feed_result<decimal> read_price(const scalar_field& f, std::string_view name, price_json accept);

// An optional positive price such as a reference: nullopt when missing, null, of
// another type, unparsable, zero or negative.
std::optional<decimal> optional_positive(const scalar_field& f, price_json accept);

// An upstream text (body or error message) saying the client is throttled.
bool says_rate_limited(std::string_view text);

// How a parser reports a body that is not one valid JSON object.
struct json_body_rules {
    std::string context;     // starts every message, as in fail(): "HTTP 503: ", "ticker: HTTP 429: ", ""
    bool throttled = false;  // the status says rate limited: then so is such a body
    // The text of a body that does not even start like JSON says rate limited
    // (nullptr: no text does).
    bool (*says_throttled)(std::string_view text) = says_rate_limited;
};

// One body read as a JSON object: the padded copy and the on-demand document
// that the object returned by parse_object reads from. Keep it in place while
// that object is read (it neither copies nor moves).
class json_doc {
public:
    json_doc() = default;
    json_doc(const json_doc&) = delete;
    json_doc& operator=(const json_doc&) = delete;

    // The start of every JSON parser: strips a UTF-8 BOM, checks with this
    // thread's parser that all of `body` is one valid JSON object (every value
    // visited, numbers against the JSON grammar, nothing after it) and returns
    // the root object, ready to be read. Errors, each message starting with
    // rules.context:
    //   not starting like a JSON object: rate_limited with an excerpt when
    //     rules.throttled or rules.says_throttled(body), else malformed
    //     "not JSON: <excerpt>";
    //   invalid JSON: rate_limited with an excerpt when rules.throttled, else
    //     malformed "invalid JSON: <simdjson's reason>".
    feed_result<od::object> parse_object(std::string_view body, const json_body_rules& rules);

private:
    simdjson::padded_string json_;
    od::document doc_;
};

}  // namespace tickerd::feeds::detail

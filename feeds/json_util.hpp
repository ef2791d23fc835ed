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

// Parses `json` (already padded) and checks the whole document is one valid
// JSON object with nothing after it. On success the document is rewound, ready
// to be read.
simdjson::error_code iterate_validated(od::parser& parser, simdjson::padded_string& json, od::document& doc);

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

// The error for a body that is not a JSON object: rate_limited when the status
// says so (`throttled`) or the text does, else malformed with a short excerpt.
feed_error non_json_error(unsigned status, std::string_view body, bool throttled);

}  // namespace tickerd::feeds::detail

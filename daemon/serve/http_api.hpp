#pragma once
// The HTTP API as a function of the request line and a few headers: routing,
// status codes and bodies, with no socket in sight (http_session moves bytes).
#include <string>
#include <string_view>
#include <vector>

#include "serve/server_state.hpp"

namespace tickerd {

struct api_request {
    std::string_view method;
    std::string_view target;         // path and query as received
    std::string_view if_none_match;      // header value, may be empty
    std::string_view if_modified_since;  // header value, may be empty
    bool ops_listener = false;           // received by the ops listener (server.ops_listen)
    bool accept_gzip = false;            // Accept-Encoding allows gzip (see accepts_gzip)
};

struct api_response {
    unsigned status = 200;
    shared_text body;                 // shared when it is a cached snapshot
    std::string content_type = "application/json";
    std::string etag;                 // with quotes; empty for none
    bool no_cache = true;
    std::vector<std::pair<std::string, std::string>> headers;
    // Content coding: a response that may be gzipped says so (Vary: Accept-Encoding);
    // gzip_body is its gzipped body when made ahead (static files, the snapshot).
    bool compressible = false;
    shared_text gzip_body;
    std::string content_encoding;     // "gzip" when body is gzipped; empty for identity
};

// JSON bodies from this size up are gzipped for clients that accept it.
inline constexpr std::size_t min_gzip_bytes = 512;
// /v1/history: points when ?points= is not given, and the largest accepted.
inline constexpr std::size_t default_history_points = 120;
inline constexpr std::size_t max_history_points = 100'000;

// Whether an Accept-Encoding header value allows gzip (or x-gzip): listed, or
// covered by "*", with a q-value above 0. An empty header allows only identity.
bool accepts_gzip(std::string_view accept_encoding);

api_response handle_api(const api_request& req, server_state& state);

// The OpenAPI document (docs/openapi.yaml, which is written as JSON), built in.
extern const std::string_view openapi_document;

// Split "path?query" and look up one query parameter (URL-decoded).
struct parsed_target {
    std::string path;  // URL-decoded
    std::string query; // raw
    bool valid = true;
};
parsed_target parse_target(std::string_view target);
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Symbol ids from ?symbols=…: indexes in the store, or the first unknown id.
struct symbol_selection {
    std::vector<std::size_t> indexes;
    std::string unknown;
};
symbol_selection select_symbols(const snapshot_store& store, const std::vector<std::string>& ids);

}  // namespace tickerd

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
};

struct api_response {
    unsigned status = 200;
    shared_text body;                 // shared when it is a cached snapshot
    std::string content_type = "application/json";
    std::string etag;                 // with quotes; empty for none
    bool no_cache = true;
    std::vector<std::pair<std::string, std::string>> headers;
};

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

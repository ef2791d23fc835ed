#pragma once
// Clients the integration tests talk to the daemon with: a blocking HTTP GET with
// a deadline, a WebSocket client whose reads have timeouts, a Server-Sent
// Events reader, and a small JSON reader. Every wait here is bounded.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tickerd::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// --- HTTP -------------------------------------------------------------------

struct http_result {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // Case-insensitive; empty when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

// GET http://127.0.0.1:PORT<target> (target sent verbatim). Throws
// std::runtime_error on connect/IO failure or when the whole exchange takes longer than `timeout`.
http_result http_get(std::uint16_t port, std::string_view target, const header_list& extra_headers = {},
                     milliseconds timeout = 5s);

// The value of one counter sample in the daemon's /metrics, named as exposed
// (`tickerd_x_total` or `tickerd_x_total{label="v"}`). Throws if it is not there.
std::uint64_t metric_counter(std::uint16_t port, std::string_view series);

// --- WebSocket --------------------------------------------------------------

class ws_client {
public:
    ws_client();
    ~ws_client();  // closes politely (1000) if still open
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    // Upgrades ws://127.0.0.1:PORT<target>; throws std::runtime_error on failure
    // (with the HTTP status and body of a refused upgrade).
    void connect(std::uint16_t port, std::string_view target, milliseconds timeout = 5s);

    // Same, but a refused upgrade is not an error: returns the HTTP status of the
    // upgrade response (101 when upgraded). `body` receives a refusal's body.
    unsigned try_connect(std::uint16_t port, std::string_view target, std::string* body = nullptr,
                         milliseconds timeout = 5s);

    // Next text message; nullopt when none arrived within `timeout` or the connection closed.
    std::optional<std::string> try_read(milliseconds timeout);
    // Next text message; throws std::runtime_error on timeout or close.
    std::string read_json(milliseconds timeout);

    void send_text(std::string_view text, milliseconds timeout = 2s);

    // Keeps reading (queuing any messages) until the peer closed; false on timeout.
    bool wait_closed(milliseconds timeout);
    bool closed() const;
    // The close frame the server sent: code (e.g. 1001) and reason; nullopt if it
    // has not closed, or the connection broke without a close frame.
    std::optional<unsigned> close_code() const;
    std::string close_reason() const;
    // Messages read from the socket but not yet returned.
    std::size_t queued() const;

    // Client-initiated close (1000), bounded.
    void close(milliseconds timeout = 1s);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// --- Server-Sent Events -----------------------------------------------------

// One dispatched event: a block of field lines ended by a blank line that held
// at least one "data:" line (as EventSource dispatches them).
struct sse_event {
    std::string event;  // the block's "event:" field; "message" when it had none
    std::string id;     // the block's own "id:" field; empty when it had none
    std::string data;   // its "data:" lines, joined with '\n'
};

class sse_client {
public:
    sse_client();
    ~sse_client();  // drops the connection
    sse_client(const sse_client&) = delete;
    sse_client& operator=(const sse_client&) = delete;

    // Sends GET http://127.0.0.1:PORT<target> (target verbatim) with
    // `Accept: text/event-stream` and `extra_headers`, and reads the response
    // head. Returns the status. A reply that is not a 200 text/event-stream is
    // read to its end (response().body) and the connection closed. Throws
    // std::runtime_error on connect/IO failure or when the head (or such a
    // reply's body) does not arrive within `timeout`.
    unsigned connect(std::uint16_t port, std::string_view target, const header_list& extra_headers = {},
                     milliseconds timeout = 5s);

    // Status and headers of the response; body only for a reply that is not a stream.
    const http_result& response() const;

    // Next event; nullopt when none arrived within `timeout` or the stream ended.
    std::optional<sse_event> try_next(milliseconds timeout);
    // Next event; throws std::runtime_error on timeout or end of stream.
    sse_event next(milliseconds timeout);

    // The last valid "retry:" value received, if any.
    std::optional<unsigned> retry() const;
    // Every byte of the stream (after the response head) received so far.
    const std::string& raw() const;
    // Events parsed but not yet returned.
    std::size_t queued() const;
    // Keeps reading (queuing events) until the server ends the stream; false on timeout.
    bool wait_closed(milliseconds timeout);
    // True once the stream ended (server closed, broke, or disconnect() was called).
    bool closed() const;
    // Drops the connection at once, like a closed browser tab.
    void disconnect();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// --- JSON -------------------------------------------------------------------

// Parsed once (simdjson DOM); fields are addressed with JSON pointers
// ("/quotes/0/price", "" for the root). Accessors throw std::runtime_error,
// naming the pointer and the text, when a field is missing or of another type.
class json_doc {
public:
    explicit json_doc(std::string text);
    ~json_doc();
    json_doc(json_doc&&) noexcept;
    json_doc& operator=(json_doc&&) noexcept;

    const std::string& text() const { return text_; }

    bool has(std::string_view pointer) const;
    std::string type(std::string_view pointer) const;  // "string", "number", "object", "array", "bool", "null"
    std::string str(std::string_view pointer) const;
    double num(std::string_view pointer) const;
    std::uint64_t u64(std::string_view pointer) const;
    bool boolean(std::string_view pointer) const;
    std::size_t size(std::string_view pointer) const;  // array length / object member count
    std::vector<std::string> strings(std::string_view pointer) const;  // array of strings
    // The value's text exactly as sent ("1284.30", not 1284.3); for numbers and scalars.
    std::string raw(std::string_view pointer) const;
    // Pointer to the element of the array at `array_pointer` whose `key` equals
    // `value` ("/quotes/2"), or nullopt.
    std::optional<std::string> find(std::string_view array_pointer, std::string_view key,
                                    std::string_view value) const;
    // The "symbol" of every element of the array at `array_pointer`, in order.
    std::vector<std::string> symbols(std::string_view array_pointer = "/quotes") const;

private:
    struct parsed;
    std::string text_;
    std::unique_ptr<parsed> parsed_;
};

// --- waiting ----------------------------------------------------------------

// Polls `pred` until true or `timeout`; returns its last result.
template <class Pred>
bool eventually(Pred&& pred, milliseconds timeout, milliseconds step = 25ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(step);
    }
}

}  // namespace tickerd::test

#include "serve/io_shards.hpp"

#include <thread>

namespace tickerd {

namespace net = boost::asio;

io_shards::io_shards(unsigned count) {
    if (count == 0) count = 1;
    for (unsigned i = 0; i < count; ++i) {
        // One thread runs each: Asio may then skip work meant for several.
        contexts_.push_back(std::make_unique<net::io_context>(1));
        if (i != 0) idle_guards_.emplace_back(contexts_.back()->get_executor());
    }
}

net::io_context& io_shards::peek() {
    return *contexts_[next_.load(std::memory_order_relaxed) % contexts_.size()];
}

void io_shards::advance() { next_.fetch_add(1, std::memory_order_relaxed); }

std::vector<net::any_io_executor> io_shards::executors() const {
    std::vector<net::any_io_executor> out;
    for (const auto& c : contexts_) out.emplace_back(c->get_executor());
    return out;
}

void io_shards::run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i) {
        threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    }
    contexts_.front()->run();
    for (auto& t : threads) t.join();
}

void io_shards::stop() {
    for (const auto& c : contexts_) c->stop();
}

}  // namespace tickerd

#pragma once
// The io threads: one io_context per thread (server.threads), each a shard.
// An accepted connection is handed to the next shard in turn and all its
// handlers run there, so a session needs no strand and the hub hands a change
// to each shard once (serve/hub). Shard 0, run on the calling thread, also
// runs the daemon's own work: the poll loops, feeds, timers and signals.
#include <atomic>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace tickerd {

class io_shards {
public:
    explicit io_shards(unsigned count);
    io_shards(const io_shards&) = delete;
    io_shards& operator=(const io_shards&) = delete;

    boost::asio::io_context& main() { return *contexts_.front(); }
    // The shard the next accepted connection goes to (round-robin); advance()
    // moves on once a connection has come onto it.
    boost::asio::io_context& peek();
    void advance();
    std::vector<boost::asio::any_io_executor> executors() const;
    unsigned size() const { return static_cast<unsigned>(contexts_.size()); }

    // Runs shard 0 on this thread and each other shard on a thread of its own;
    // returns once all have stopped (stop()).
    void run();
    // Any thread.
    void stop();

private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> idle_guards_;  // the other shards wait for connections while they have none
    std::atomic<unsigned> next_{0};
};

}  // namespace tickerd

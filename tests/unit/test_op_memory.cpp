// The fan-out's operation memory (serve/op_memory.hpp): blocks come back to
// the thread's free list and are handed out again, also through Asio.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <thread>

#include "serve/op_memory.hpp"

using namespace tickerd;

namespace {

struct alignas(16) op_sized {
    std::array<unsigned char, 300> bytes;
};

}  // namespace

TEST_CASE("a freed operation block is handed out again, on the same thread", "[op_memory]") {
    op_allocator<op_sized> a;
    op_sized* first = a.allocate(1);
    REQUIRE(first != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(first) % 64 == 0);
    a.deallocate(first, 1);
    op_sized* again = a.allocate(1);
    CHECK(again == first);  // from the free list, not malloc
    // Several in flight at once are distinct blocks; freed, each is reused.
    op_sized* b = a.allocate(1);
    op_sized* c = a.allocate(1);
    CHECK(std::set<void*>{again, b, c}.size() == 3);
    a.deallocate(c, 1);
    a.deallocate(b, 1);
    CHECK(a.allocate(1) == b);  // last freed, first reused
    CHECK(a.allocate(1) == c);
    a.deallocate(again, 1);
    a.deallocate(b, 1);
    a.deallocate(c, 1);
}

TEST_CASE("an operation larger than a block is allocated as usual and never listed", "[op_memory]") {
    op_allocator<unsigned char> a;
    unsigned char* big = a.allocate(op_memory::block_bytes + 1);
    big[op_memory::block_bytes] = 1;  // the whole size is usable
    a.deallocate(big, op_memory::block_bytes + 1);
    unsigned char* small = a.allocate(16);
    small[15] = 1;
    a.deallocate(small, 16);
    CHECK(a.allocate(16) == small);
    a.deallocate(small, 16);
}

TEST_CASE("a block freed on another thread joins that thread's list", "[op_memory]") {
    op_allocator<op_sized> a;
    op_sized* p = a.allocate(1);
    op_sized* reused_there = nullptr;
    std::thread([&] {
        op_allocator<op_sized> there;
        there.deallocate(p, 1);
        reused_there = there.allocate(1);
        there.deallocate(reused_there, 1);
    }).join();
    CHECK(reused_there == p);
}

TEST_CASE("Asio allocates a bound handler's operation from op_memory", "[op_memory]") {
    boost::asio::io_context ioc;
    int ran = 0;
    // The first post takes a block; once it has run, the second post's operation reuses it.
    op_allocator<op_sized> probe;
    op_sized* before = probe.allocate(1);
    probe.deallocate(before, 1);
    boost::asio::post(ioc, bind_op_memory([&] { ++ran; }));
    op_sized* taken = probe.allocate(1);  // the post holds the last freed block: this is another
    CHECK(taken != before);
    probe.deallocate(taken, 1);
    ioc.run();
    CHECK(ran == 1);
    // After the run the post's block is back on the list, on top.
    op_sized* after = probe.allocate(1);
    CHECK(after == before);
    probe.deallocate(after, 1);
}

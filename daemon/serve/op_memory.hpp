#pragma once
// Memory for the asynchronous operations of the fan-out path (a stream
// session's write, the hand-off of a burst of changes to a shard): an
// allocator for Asio's associated-allocator hook (bind_op_memory) that takes
// fixed blocks from a free list per thread and gives them back to it.
//
// Asio's own recycling cache keeps two blocks per thread, but a fan-out has one
// operation in flight per client at once, so almost every one of them went to
// malloc. Blocks freed on another thread than the one that took them (an
// operation completes wherever the reactor runs it) join that thread's list;
// a list keeps at most `max_kept` blocks and frees the rest.
#include <cstddef>
#include <new>
#include <vector>

#include <boost/asio/bind_allocator.hpp>

namespace tickerd {

namespace op_memory {

inline constexpr std::size_t block_bytes = 1024;  // an operation larger than this is allocated as usual
inline constexpr std::size_t max_kept = 8192;      // blocks kept per thread (8 MiB at most)
inline constexpr std::align_val_t block_align{64};

class free_list {
public:
    ~free_list() {
        for (void* p : blocks_) ::operator delete(p, block_align);
    }
    void* take() {
        if (blocks_.empty()) return ::operator new(block_bytes, block_align);
        void* p = blocks_.back();
        blocks_.pop_back();
        return p;
    }
    void give(void* p) {
        if (blocks_.size() >= max_kept) return ::operator delete(p, block_align);
        blocks_.push_back(p);
    }

private:
    std::vector<void*> blocks_;
};

inline free_list& this_thread() {
    thread_local free_list list;
    return list;
}

inline void* allocate(std::size_t bytes) {
    return bytes <= block_bytes ? this_thread().take() : ::operator new(bytes, block_align);
}

inline void deallocate(void* p, std::size_t bytes) {
    if (bytes <= block_bytes) return this_thread().give(p);
    ::operator delete(p, block_align);
}

}  // namespace op_memory

template <class T>
class op_allocator {
public:
    using value_type = T;

    op_allocator() noexcept = default;
    template <class U>
    op_allocator(const op_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) { return static_cast<T*>(op_memory::allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { op_memory::deallocate(p, n * sizeof(T)); }

    template <class U>
    bool operator==(const op_allocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const op_allocator<U>&) const noexcept {
        return false;
    }
};

// The handler, with its operations' memory from op_memory.
template <class Handler>
auto bind_op_memory(Handler&& handler) {
    return boost::asio::bind_allocator(op_allocator<void>(), std::forward<Handler>(handler));
}

}  // namespace tickerd

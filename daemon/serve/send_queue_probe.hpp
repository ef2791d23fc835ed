#pragma once
// What the kernel knows of a client socket's send side, for the slow-client
// gate (lag_gate). Linux only; a value the kernel cannot give is reported
// as unknown, never guessed.
#include <cstddef>

namespace tickerd {

struct send_queue_state {
    std::size_t unacked = 0;      // bytes written and not yet acknowledged by the client (SIOCOUTQ)
    std::size_t peer_window = 0;  // the receive window the client last advertised (TCP_INFO tcpi_snd_wnd)
    bool window_known = false;    // false: the kernel gave no window (then it is not used)
};

send_queue_state probe_send_queue(int fd);

// SO_SNDBUF as the kernel reports it (twice what was set); 0 if unknown.
std::size_t send_buffer_size(int fd);

}  // namespace tickerd

#include "serve/send_queue_probe.hpp"

// The kernel's struct tcp_info: glibc's <netinet/tcp.h> lacks tcpi_snd_wnd
// (Linux 5.4 and later), so this file includes no glibc TCP header.
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace tickerd {

send_queue_state probe_send_queue(int fd) {
    send_queue_state s;
    int n = 0;
    if (::ioctl(fd, SIOCOUTQ, &n) == 0 && n > 0) s.unacked = static_cast<std::size_t>(n);
    tcp_info info;
    std::memset(&info, 0, sizeof info);
    socklen_t len = sizeof info;
    // An older kernel fills less of the struct: the window only if it reached that far.
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
        len >= offsetof(tcp_info, tcpi_snd_wnd) + sizeof info.tcpi_snd_wnd) {
        s.peer_window = info.tcpi_snd_wnd;
        s.window_known = true;
    }
    return s;
}

std::size_t send_buffer_size(int fd) {
    int sndbuf = 0;
    socklen_t len = sizeof sndbuf;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 || sndbuf <= 0) return 0;
    return static_cast<std::size_t>(sndbuf);
}

}  // namespace tickerd

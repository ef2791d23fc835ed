#pragma once
// What the feeds of one provider share for the life of the process: its TLS
// client context (system CA store plus the provider's ca_file) and its request
// pacer (min_spacing). Made on first use and never destroyed before the daemon
// exits, so a feed stopped by a reload may still finish with them. A reload
// that changes ca_file or min_spacing gets new ones.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "upstream/request_pacer.hpp"
#include "tickerd/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tickerd {

class provider_resources {
public:
    provider_resources();
    ~provider_resources();
    provider_resources(const provider_resources&) = delete;
    provider_resources& operator=(const provider_resources&) = delete;

    // Peer and host-name verification are always on; there is no switch to turn
    // them off. nullptr, with `error` naming the key, when ca_file cannot be loaded.
    boost::asio::ssl::context* tls(const config& cfg, const provider_config& p, std::string& error);
    // nullptr when min_spacing is zero (unpaced).
    std::shared_ptr<request_pacer> pacer(const provider_config& p);

private:
    std::mutex mu_;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<boost::asio::ssl::context>> tls_;  // (name, ca_file)
    std::map<std::pair<std::string, long long>, std::shared_ptr<request_pacer>> pacers_;  // (name, spacing ms)
};

}  // namespace tickerd

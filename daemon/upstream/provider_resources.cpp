#include "upstream/provider_resources.hpp"

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tickerd {

namespace ssl = boost::asio::ssl;

provider_resources::provider_resources() = default;
provider_resources::~provider_resources() = default;

ssl::context* provider_resources::tls(const config& cfg, const provider_config& p, std::string& error) {
    const std::scoped_lock lk(mu_);
    auto& slot = tls_[{p.name, p.ca_file}];
    if (slot) return slot.get();
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->set_default_verify_paths();
    ctx->set_verify_mode(ssl::verify_peer);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (!p.ca_file.empty()) {
        boost::system::error_code ec;
        ctx->load_verify_file(p.ca_file, ec);
        if (ec) {
            error = fmt::format("{}: providers.{}.ca_file: cannot load \"{}\": {}", cfg.file, p.name, p.ca_file,
                                ec.message());
            tls_.erase({p.name, p.ca_file});
            return nullptr;
        }
        spdlog::info("{}: trusting the CA certificates in {} as well as the system store", p.name, p.ca_file);
    }
    slot = std::move(ctx);
    return slot.get();
}

std::shared_ptr<request_pacer> provider_resources::pacer(const provider_config& p) {
    if (p.min_spacing.count() <= 0) return nullptr;
    const std::scoped_lock lk(mu_);
    auto& slot = pacers_[{p.name, static_cast<long long>(p.min_spacing.count())}];
    if (!slot) slot = std::make_shared<request_pacer>(p.min_spacing);
    return slot;
}

}  // namespace tickerd

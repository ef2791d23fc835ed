#include "support/test_tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <list>
#include <stdexcept>

namespace tickerd::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
namespace fs = std::filesystem;

namespace {

constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);

void run_openssl(const std::string& args, const fs::path& dir) {
    const std::string cmd = fmt::format("cd '{}' && openssl {} >openssl.log 2>&1", dir.string(), args);
    if (std::system(cmd.c_str()) != 0) {
        std::ifstream log(dir / "openssl.log");
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        throw std::runtime_error("openssl " + args + " failed: " + text);
    }
}

}  // namespace

test_ca::test_ca() {
    std::string tmpl = (fs::temp_directory_path() / "tickerd-ca-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ca_cert_ = dir_ / "ca.pem";
    ca_key_ = dir_ / "ca.key";
    run_openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
                "-days 2 -subj '/CN=tickerd test CA' -addext 'basicConstraints=critical,CA:TRUE' "
                "-addext 'keyUsage=critical,keyCertSign,cRLSign'",
                dir_);
}

test_ca::~test_ca() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

tls_identity test_ca::issue(const std::string& name, const std::vector<std::string>& subject_alt_names) {
    std::string sans;
    for (const auto& s : subject_alt_names) sans += (sans.empty() ? "" : ",") + s;
    {
        std::ofstream ext(dir_ / (name + ".ext"));
        ext << "subjectAltName=" << sans << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
    }
    run_openssl(fmt::format("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {0}.key -out {0}.csr "
                            "-subj '/CN={0}'",
                            name),
                dir_);
    run_openssl(fmt::format("x509 -req -in {0}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out {0}.pem -days 2 "
                            "-extfile {0}.ext",
                            name),
                dir_);
    return {dir_ / (name + ".pem"), dir_ / (name + ".key")};
}

// --- TLS front ----------------------------------------------------------------

struct tls_front::impl {
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    ssl::context ctx{ssl::context::tls_server};
    std::uint16_t backend_port = 0;
    std::list<std::weak_ptr<tcp::socket>> sockets;  // io thread only: closed on shutdown
    std::atomic<std::size_t> failed{0};
    std::atomic<std::size_t> completed{0};

    void shutdown() {
        boost::system::error_code ec;
        acceptor.close(ec);
        for (auto& w : sockets)
            if (auto s = w.lock()) s->close(ec);
        sockets.clear();
    }

    struct relay {
        relay(tcp::socket s, ssl::context& ctx, net::io_context& ioc)
            : client(std::make_shared<tcp::socket>(std::move(s))), tls(*client, ctx), backend(std::make_shared<tcp::socket>(ioc)) {}
        std::shared_ptr<tcp::socket> client;
        ssl::stream<tcp::socket&> tls;
        std::shared_ptr<tcp::socket> backend;
        void close() {
            boost::system::error_code ec;
            client->close(ec);
            backend->close(ec);
        }
    };

    net::awaitable<void> serve(std::shared_ptr<relay> r) {
        auto [hec] = co_await r->tls.async_handshake(ssl::stream_base::server, nothrow_awaitable);
        if (hec) {
            ++failed;
            r->close();
            co_return;
        }
        ++completed;
        auto [cec] = co_await r->backend->async_connect(
            tcp::endpoint{net::ip::make_address_v4("127.0.0.1"), backend_port}, nothrow_awaitable);
        if (cec) {
            r->close();
            co_return;
        }
        sockets.push_back(r->backend);
        net::co_spawn(ioc, up(r), net::detached);
        std::array<char, 16 * 1024> buf;
        for (;;) {  // backend -> client
            auto [ec, n] = co_await r->backend->async_read_some(net::buffer(buf), nothrow_awaitable);
            if (ec || n == 0) break;
            auto [wec, wn] = co_await net::async_write(r->tls, net::buffer(buf.data(), n), nothrow_awaitable);
            (void)wn;
            if (wec) break;
        }
        r->close();
    }

    static net::awaitable<void> up(std::shared_ptr<relay> r) {  // client -> backend
        std::array<char, 16 * 1024> buf;
        for (;;) {
            auto [ec, n] = co_await r->tls.async_read_some(net::buffer(buf), nothrow_awaitable);
            if (ec || n == 0) break;
            auto [wec, wn] = co_await net::async_write(*r->backend, net::buffer(buf.data(), n), nothrow_awaitable);
            (void)wn;
            if (wec) break;
        }
        r->close();
    }

    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(nothrow_awaitable);
            if (ec) {
                if (!acceptor.is_open()) co_return;
                continue;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto r = std::make_shared<relay>(std::move(socket), ctx, ioc);
            sockets.remove_if([](const std::weak_ptr<tcp::socket>& w) { return w.expired(); });
            sockets.push_back(r->client);
            net::co_spawn(ioc, serve(r), net::detached);
        }
    }
};

tls_front::tls_front(std::uint16_t backend_port, const tls_identity& identity) : impl_(std::make_unique<impl>()) {
    impl_->backend_port = backend_port;
    impl_->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
    impl_->ctx.use_certificate_chain_file(identity.cert_file.string());
    impl_->ctx.use_private_key_file(identity.key_file.string(), ssl::context::pem);
    tcp::endpoint ep{net::ip::make_address_v4("127.0.0.1"), 0};
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(net::socket_base::max_listen_connections);
    port_ = impl_->acceptor.local_endpoint().port();
    net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
    thread_ = std::thread([this] { impl_->ioc.run(); });
}

tls_front::~tls_front() {
    net::post(impl_->ioc, [this] { impl_->shutdown(); });
    thread_.join();
}

std::size_t tls_front::failed_handshakes() const { return impl_->failed.load(); }
std::size_t tls_front::completed_handshakes() const { return impl_->completed.load(); }

}  // namespace tickerd::test

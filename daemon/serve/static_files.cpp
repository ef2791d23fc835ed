#include "serve/static_files.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace tickerd {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_files = 512;
constexpr std::uintmax_t max_total_bytes = 32u << 20;

std::string http_date(fs::file_time_type t) {
    const auto sys = std::chrono::file_clock::to_sys(t);
    const std::time_t secs = std::chrono::system_clock::to_time_t(
        std::chrono::time_point_cast<std::chrono::system_clock::duration>(sys));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string content_etag(const std::string& data) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (const unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("\"{:016x}\"", h);
}

// True when `path` (canonical) is `base` (canonical) or below it.
bool inside(const fs::path& base, const fs::path& path) {
    const auto rel = path.lexically_relative(base);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
    const auto dot = path.rfind('.');
    const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
    if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "json") return "application/json";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "ico") return "image/x-icon";
    if (ext == "woff2") return "font/woff2";
    if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

static_files static_files::load(const std::string& root, std::string& error) {
    static_files out;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        error = fmt::format("web root {} is not a directory", root);
        return out;
    }
    std::uintmax_t total = 0;
    const auto base = fs::canonical(root, ec);
    for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (!name.empty() && name.front() == '.') {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        // A symlink is served under its own name only when it resolves to a file
        // inside the root: the root's files are the only ones a path can name.
        std::error_code link_ec;
        const bool is_link = it->is_symlink(link_ec);
        const fs::path real = is_link ? fs::canonical(it->path(), link_ec) : it->path();
        if (is_link && (link_ec || !inside(base, real))) {
            out.skipped_.push_back(it->path().string());
            continue;
        }
        if (!fs::is_regular_file(real, link_ec)) continue;
        if (out.files_.size() >= max_files || total + fs::file_size(real, link_ec) > max_total_bytes) {
            error = fmt::format("web root {} holds more than {} files or {} bytes; the rest is not served", root,
                                max_files, max_total_bytes);
            break;
        }
        std::ifstream in(real, std::ios::binary);
        std::ostringstream data;
        data << in.rdbuf();
        if (!in) continue;
        static_file f;
        const std::string rel = "/" + it->path().lexically_relative(base).generic_string();
        f.content = std::make_shared<const std::string>(data.str());
        total += f.content->size();
        f.content_type = std::string(content_type_for(rel));
        f.etag = content_etag(*f.content);
        f.last_modified = http_date(fs::last_write_time(real, link_ec));
        out.files_.emplace(rel, std::move(f));
    }
    if (ec && error.empty()) error = fmt::format("reading web root {}: {}", root, ec.message());
    return out;
}

const static_file* static_files::find(std::string_view path) const {
    std::string key(path);
    if (key.empty() || key.back() == '/') key += "index.html";
    const auto it = files_.find(key);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace tickerd

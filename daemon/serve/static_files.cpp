#include "serve/static_files.hpp"

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "serve/gzip.hpp"

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

std::string sha256_hex(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) fmt::format_to(std::back_inserter(hex), "{:02x}", md[i]);
    return hex;
}

bool is_page(std::string_view path) { return path.ends_with(".html") || path.ends_with(".htm"); }

// Text compresses; images and fonts are compressed already.
bool worth_gzip(const static_file& f) {
    const std::string_view t = f.content_type;
    return f.content->size() >= 256 &&
           (t.starts_with("text/") || t.starts_with("application/json") || t.starts_with("image/svg+xml"));
}

// Hash (and, when it pays, gzip) a file's final content.
void seal(static_file& f) {
    const std::string hex = sha256_hex(*f.content);
    f.etag = "\"" + hex.substr(0, 16) + "\"";
    f.version = hex.substr(0, 12);
    if (worth_gzip(f)) {
        auto gz = gzip_compress(*f.content, 9);
        if (gz.size() < f.content->size()) f.gzip = std::make_shared<const std::string>(std::move(gz));
    }
}

// "/a/b/../c.js" -> "/a/c.js"; nullopt when ".." leaves the root.
std::optional<std::string> normalise_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view part = path.substr(0, slash);
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    std::string out;
    for (const auto p : parts) {
        out += '/';
        out += p;
    }
    return out.empty() ? std::string("/") : out;
}

bool iequal_prefix(std::string_view text, std::size_t at, std::string_view word) {
    if (text.size() - at < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
    }
    return true;
}

std::size_t ifind(std::string_view text, std::string_view word, std::size_t from) {
    for (std::size_t i = from; i < text.size(); ++i) {
        if (iequal_prefix(text, i, word)) return i;
    }
    return std::string_view::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

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

std::string version_asset_urls(std::string_view html, std::string_view page,
                               const std::function<std::string(std::string_view)>& version_of) {
    const std::string_view dir = page.substr(0, page.rfind('/') + 1);
    // Where to insert "?v=…" (just after an attribute value) and what.
    std::vector<std::pair<std::size_t, std::string>> inserts;
    const auto consider = [&](std::string_view value, std::size_t end) {
        if (value.empty() || value.starts_with("//") || value.back() == '/' ||
            value.find_first_of("?#:%&\\ ") != std::string_view::npos)
            return;
        const auto path = normalise_path(value.front() == '/' ? std::string(value) : std::string(dir) + std::string(value));
        if (!path || is_page(*path)) return;
        const std::string v = version_of(*path);
        if (!v.empty()) inserts.emplace_back(end, "?v=" + v);
    };
    const std::size_t n = html.size();
    std::size_t pos = 0;
    while (pos < n) {
        const auto lt = html.find('<', pos);
        if (lt == std::string_view::npos) break;
        if (html.substr(lt).starts_with("<!--")) {
            const auto end = html.find("-->", lt + 4);
            pos = end == std::string_view::npos ? n : end + 3;
            continue;
        }
        if (lt + 1 >= n || !std::isalpha(static_cast<unsigned char>(html[lt + 1]))) {
            pos = lt + 1;
            continue;
        }
        // A start tag: its name, then attributes up to '>'.
        std::size_t i = lt + 1;
        while (i < n && (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '-')) ++i;
        std::string name(html.substr(lt + 1, i - lt - 1));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        while (i < n && html[i] != '>') {
            if (is_space(html[i]) || html[i] == '/') {
                ++i;
                continue;
            }
            const std::size_t name_begin = i;
            while (i < n && !is_space(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/') ++i;
            const std::size_t name_end = i;
            while (i < n && is_space(html[i])) ++i;
            if (i >= n || html[i] != '=') continue;  // an attribute without a value
            ++i;
            while (i < n && is_space(html[i])) ++i;
            if (i >= n) break;
            std::size_t value_begin = i;
            std::size_t value_end = i;
            if (html[i] == '"' || html[i] == '\'') {
                const auto close = html.find(html[i], i + 1);
                if (close == std::string_view::npos) {
                    i = n;
                    break;
                }
                value_begin = i + 1;
                value_end = close;
                i = close + 1;
            } else {
                while (i < n && !is_space(html[i]) && html[i] != '>') ++i;
                value_end = i;
            }
            const std::size_t len = name_end - name_begin;
            if ((len == 3 && iequal_prefix(html, name_begin, "src")) || (len == 4 && iequal_prefix(html, name_begin, "href")))
                consider(html.substr(value_begin, value_end - value_begin), value_end);
        }
        pos = i + 1;
        // The text of a script or style is not markup.
        if (name == "script" || name == "style") {
            const auto close = ifind(html, "</" + name, pos);
            pos = close == std::string_view::npos ? n : close;
        }
    }
    std::string out;
    out.reserve(html.size() + inserts.size() * 16);
    std::size_t from = 0;
    for (const auto& [at, text] : inserts) {
        out.append(html.substr(from, at - from));
        out += text;
        from = at;
    }
    out.append(html.substr(from));
    return out;
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
        f.last_modified = http_date(fs::last_write_time(real, link_ec));
        out.files_.emplace(rel, std::move(f));
    }
    if (ec && error.empty()) error = fmt::format("reading web root {}: {}", root, ec.message());
    // Every other file first: the pages name them by version.
    for (auto& [path, f] : out.files_) {
        if (!is_page(path)) seal(f);
    }
    const auto version_of = [&out](std::string_view path) -> std::string {
        const auto it = out.files_.find(path);
        return it == out.files_.end() ? std::string() : it->second.version;
    };
    for (auto& [path, f] : out.files_) {
        if (!is_page(path)) continue;
        f.content = std::make_shared<const std::string>(version_asset_urls(*f.content, path, version_of));
        seal(f);
    }
    return out;
}

const static_file* static_files::find(std::string_view path) const {
    std::string key(path);
    if (key.empty() || key.back() == '/') key += "index.html";
    const auto it = files_.find(key);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace tickerd

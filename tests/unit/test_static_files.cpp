#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "serve/static_files.hpp"

using namespace tickerd;
namespace fs = std::filesystem;

namespace {

struct temp_web_root {
    fs::path dir = fs::temp_directory_path() / ("tickerd-web-" + std::to_string(::getpid()));
    temp_web_root() {
        fs::remove_all(dir);
        fs::create_directories(dir / "sub");
        fs::create_directories(dir / ".git");
        write("index.html", "<h1>hi</h1>");
        write("tickerd.js", "export {}");
        write("sub/index.html", "sub");
        write(".env", "secret");
        write(".git/config", "secret");
    }
    ~temp_web_root() { fs::remove_all(dir); }
    void write(const std::string& rel, const std::string& text) const { std::ofstream(dir / rel) << text; }
};

}  // namespace

TEST_CASE("static files are served from memory by exact path only", "[static]") {
    temp_web_root root;
    std::string error;
    const auto files = static_files::load(root.dir.string(), error);
    CHECK(error.empty());
    CHECK(files.size() == 3);
    const auto* index = files.find("/");
    REQUIRE(index != nullptr);
    CHECK(*index->content == "<h1>hi</h1>");
    CHECK(index->content_type == "text/html; charset=utf-8");
    CHECK(index->etag.size() == 18);
    CHECK(index->last_modified.ends_with(" GMT"));
    REQUIRE(files.find("/tickerd.js") != nullptr);
    CHECK(files.find("/tickerd.js")->content_type == "text/javascript; charset=utf-8");
    REQUIRE(files.find("/sub/") != nullptr);
    CHECK(*files.find("/sub/")->content == "sub");
    for (const char* p : {"/.env", "/.git/config", "/../index.html", "/sub/../index.html", "/sub", "//index.html",
                          "/index.html/", "/missing.js", ""}) {
        INFO(p);
        CHECK(files.find(p) == nullptr);
    }
}

TEST_CASE("a different file content gives a different ETag", "[static]") {
    temp_web_root root;
    std::string error;
    const auto before = static_files::load(root.dir.string(), error).find("/index.html")->etag;
    root.write("index.html", "<h1>bye</h1>");
    CHECK(static_files::load(root.dir.string(), error).find("/index.html")->etag != before);
}

TEST_CASE("a missing web root is an error and serves nothing", "[static]") {
    std::string error;
    const auto files = static_files::load("/nonexistent/tickerd-web", error);
    CHECK(files.size() == 0);
    CHECK(error.find("/nonexistent/tickerd-web") != std::string::npos);
}

TEST_CASE("a symlink is served only when it points inside the web root", "[static]") {
    temp_web_root root;
    const fs::path outside = root.dir.string() + "-outside.txt";
    std::ofstream(outside) << "not for the web";
    fs::create_symlink(outside, root.dir / "passwd.txt");
    fs::create_symlink(root.dir / "tickerd.js", root.dir / "alias.js");
    fs::create_symlink(root.dir / "missing", root.dir / "dangling.js");
    fs::create_directories(root.dir.string() + "-dir");
    std::ofstream(root.dir.string() + "-dir/secret.txt") << "secret";
    fs::create_directory_symlink(root.dir.string() + "-dir", root.dir / "linked-dir");
    std::string error;
    const auto files = static_files::load(root.dir.string(), error);
    fs::remove(outside);
    fs::remove_all(root.dir.string() + "-dir");
    CHECK(error.empty());
    CHECK(files.size() == 4);  // index.html, tickerd.js, sub/index.html, alias.js
    CHECK(files.find("/passwd.txt") == nullptr);
    CHECK(files.find("/" + fs::relative(outside, root.dir).generic_string()) == nullptr);
    CHECK(files.find("/linked-dir/secret.txt") == nullptr);
    CHECK(files.find("/dangling.js") == nullptr);
    REQUIRE(files.find("/alias.js") != nullptr);
    CHECK(*files.find("/alias.js")->content == "export {}");
    // Named for the log: the two that lead outside, and the one that leads nowhere.
    std::vector<std::string> skipped;
    for (const auto& s : files.skipped()) skipped.push_back(fs::path(s).filename().string());
    std::sort(skipped.begin(), skipped.end());
    CHECK(skipped == std::vector<std::string>{"dangling.js", "linked-dir", "passwd.txt"});
}

// --- versions, gzip, and versioned URLs in pages ----------------------------------

namespace {

std::string lookup_in(const std::map<std::string, std::string>& versions, std::string_view path) {
    const auto it = versions.find(std::string(path));
    return it == versions.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("each file has a 12-hex-digit version from its content, and a gzip copy when that is smaller",
          "[static]") {
    temp_web_root root;
    std::string big_js;
    for (int i = 0; i < 200; ++i) big_js += "export const value" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
    root.write("big.js", big_js);
    std::string png(4000, '\x42');
    root.write("pic.png", png);
    std::string error;
    const auto files = static_files::load(root.dir.string(), error);
    const auto* big = files.find("/big.js");
    REQUIRE(big != nullptr);
    CHECK(big->version.size() == 12);
    CHECK(big->version.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(big->etag == "\"" + big->version + big->etag.substr(13, 4) + "\"");  // the version starts the ETag
    REQUIRE(big->gzip != nullptr);
    CHECK(big->gzip->size() < big_js.size() / 3);
    CHECK(big->gzip->substr(0, 2) == "\x1f\x8b");
    // Small files and compressed formats are served as they are.
    CHECK(files.find("/tickerd.js")->gzip == nullptr);
    CHECK(files.find("/pic.png")->gzip == nullptr);
    CHECK(files.find("/tickerd.js")->version != big->version);
    // The same content, the same version, on another load.
    CHECK(static_files::load(root.dir.string(), error).find("/big.js")->version == big->version);
}

TEST_CASE("pages name the root's files with ?v=VERSION, in src and href attributes only", "[static]") {
    const std::map<std::string, std::string> v{{"/ticker.css", "aaaaaaaaaaaa"},
                                               {"/tickerd.js", "bbbbbbbbbbbb"},
                                               {"/dist/bar.min.js", "cccccccccccc"},
                                               {"/sub/page.js", "dddddddddddd"},
                                               {"/other.html", "eeeeeeeeeeee"}};
    const auto version_of = [&](std::string_view p) { return lookup_in(v, p); };
    const std::string page = R"(<!doctype html>
<link rel="stylesheet" href="ticker.css"><link rel=stylesheet href=ticker.css>
<script type="module" src="dist/bar.min.js"></script>
<script SRC='./tickerd.js'>const a = 1 < 2; const s = 'src="ticker.css"';</script>
<!-- <link href="ticker.css"> -->
<a href="other.html">page</a> <a href="ticker.css?x=1">q</a> <a href="ticker.css#f">f</a>
<a href="https://example.com/ticker.css">abs</a> <a href="//cdn/ticker.css">cdn</a>
<img data-src="ticker.css"> <a href="missing.js">m</a> <a href="/ticker.css">root</a>
<a href="../ticker.css">up</a> <p>text src="ticker.css" here</p>
<style>a[href="ticker.css"] {}</style>)";
    const std::string out = version_asset_urls(page, "/index.html", version_of);
    const std::string expected = R"(<!doctype html>
<link rel="stylesheet" href="ticker.css?v=aaaaaaaaaaaa"><link rel=stylesheet href=ticker.css?v=aaaaaaaaaaaa>
<script type="module" src="dist/bar.min.js?v=cccccccccccc"></script>
<script SRC='./tickerd.js?v=bbbbbbbbbbbb'>const a = 1 < 2; const s = 'src="ticker.css"';</script>
<!-- <link href="ticker.css"> -->
<a href="other.html">page</a> <a href="ticker.css?x=1">q</a> <a href="ticker.css#f">f</a>
<a href="https://example.com/ticker.css">abs</a> <a href="//cdn/ticker.css">cdn</a>
<img data-src="ticker.css"> <a href="missing.js">m</a> <a href="/ticker.css?v=aaaaaaaaaaaa">root</a>
<a href="../ticker.css">up</a> <p>text src="ticker.css" here</p>
<style>a[href="ticker.css"] {}</style>)";
    CHECK(out == expected);

    // From a page in a subfolder: relative to it, ".." within the root, "/" from the root.
    const std::string sub = R"(<script src="page.js"></script><link href="../ticker.css"><script src="/dist/bar.min.js"></script><script src="../../ticker.css"></script>)";
    CHECK(version_asset_urls(sub, "/sub/index.html", version_of) ==
          R"(<script src="page.js?v=dddddddddddd"></script><link href="../ticker.css?v=aaaaaaaaaaaa"><script src="/dist/bar.min.js?v=cccccccccccc"></script><script src="../../ticker.css"></script>)");
    // Unterminated markup ends the scan without harm.
    CHECK(version_asset_urls("<a href=\"ticker.css", "/index.html", version_of) == "<a href=\"ticker.css");
    CHECK(version_asset_urls("<", "/index.html", version_of) == "<");
    CHECK(version_asset_urls("", "/index.html", version_of).empty());
}

TEST_CASE("a loaded page carries its assets' versions, and its own ETag is of the rewritten page", "[static]") {
    temp_web_root root;
    fs::create_directories(root.dir / "dist");
    root.write("dist/bar.min.js", "export const bar = 1;");
    root.write("index.html", R"(<script type="module" src="dist/bar.min.js"></script><script src="tickerd.js"></script>)");
    std::string error;
    const auto files = static_files::load(root.dir.string(), error);
    const auto* page = files.find("/");
    const auto* bar = files.find("/dist/bar.min.js");
    const auto* js = files.find("/tickerd.js");
    REQUIRE(page != nullptr);
    REQUIRE(bar != nullptr);
    REQUIRE(js != nullptr);
    CHECK(*page->content == "<script type=\"module\" src=\"dist/bar.min.js?v=" + bar->version +
                                "\"></script><script src=\"tickerd.js?v=" + js->version + "\"></script>");
    // A change to an asset changes the page too (its URL in the page did).
    root.write("dist/bar.min.js", "export const bar = 2;");
    const auto again = static_files::load(root.dir.string(), error);
    CHECK(again.find("/dist/bar.min.js")->version != bar->version);
    CHECK(again.find("/")->etag != page->etag);
}

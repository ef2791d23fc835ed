#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

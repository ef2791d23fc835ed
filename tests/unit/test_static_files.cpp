#include <catch2/catch.hpp>

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

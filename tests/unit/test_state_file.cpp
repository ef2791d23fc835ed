#include <catch2/catch.hpp>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "ops/state_file.hpp"

using namespace tickerd;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one scope.
class env_var {
public:
    env_var(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* v = std::getenv(name)) old_ = v;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~env_var() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    env_var(const env_var&) = delete;
    env_var& operator=(const env_var&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

struct tmp_dir {
    fs::path path;
    tmp_dir() {
        std::string t = (fs::temp_directory_path() / "tickerd-state-unit-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~tmp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("the state directory: config, then $STATE_DIRECTORY, $XDG_STATE_HOME, $HOME", "[state]") {
    env_var sd("STATE_DIRECTORY", "/var/lib/tickerd:/var/lib/other");
    env_var xdg("XDG_STATE_HOME", "/home/u/.state");
    env_var home("HOME", "/home/u");
    CHECK(resolve_state_dir("/srv/state") == fs::path("/srv/state"));
    CHECK(resolve_state_dir("") == fs::path("/var/lib/tickerd"));  // the first of systemd's list
    {
        env_var no_sd("STATE_DIRECTORY", std::nullopt);
        CHECK(resolve_state_dir("") == fs::path("/home/u/.state/tickerd"));
        {
            env_var relative_xdg("XDG_STATE_HOME", "relative");  // not absolute: ignored, as the XDG spec says
            CHECK(resolve_state_dir("") == fs::path("/home/u/.local/state/tickerd"));
        }
        env_var no_xdg("XDG_STATE_HOME", std::nullopt);
        CHECK(resolve_state_dir("") == fs::path("/home/u/.local/state/tickerd"));
        env_var no_home("HOME", std::nullopt);
        CHECK(resolve_state_dir("").empty());
    }
}

TEST_CASE("state_file creates its directory 0700, saves atomically and loads back", "[state]") {
    tmp_dir t;
    state_file f(t.path / "a" / "tickerd");
    REQUIRE(f.prepare().empty());
    struct stat st {};
    REQUIRE(::stat(f.dir().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK_FALSE(f.load());  // nothing saved yet

    saved_state s;
    s.saved_at = time_point{std::chrono::milliseconds(1'791'331'400'000)};
    s.symbols.push_back(saved_symbol{"NVDA", std::nullopt, {{s.saved_at, *decimal::parse("1.5")}}, std::nullopt, std::nullopt});
    REQUIRE(f.save(serialise_state(s)).empty());
    CHECK_FALSE(fs::exists(f.dir() / "snapshot.json.tmp"));
    const auto loaded = f.load();
    REQUIRE(loaded);
    REQUIRE(loaded->symbols.size() == 1);
    CHECK(loaded->symbols[0].history[0].price == *decimal::parse("1.5"));
    // Saving again replaces the file whole.
    s.symbols.clear();
    REQUIRE(f.save(serialise_state(s)).empty());
    CHECK(read_all(f.path()) == serialise_state(s));
}

TEST_CASE("state_file moves a corrupt file aside and reports nothing loaded", "[state]") {
    tmp_dir t;
    state_file f(t.path);
    REQUIRE(f.prepare().empty());
    std::ofstream(f.path()) << "{\"version\":1,\"saved_at\":";
    CHECK_FALSE(f.load());
    CHECK_FALSE(fs::exists(f.path()));
    int aside = 0;
    for (const auto& e : fs::directory_iterator(t.path)) {
        if (e.path().filename().string().starts_with("snapshot.json.corrupt-")) {
            ++aside;
            CHECK(read_all(e.path()) == "{\"version\":1,\"saved_at\":");  // kept for inspection
        }
    }
    CHECK(aside == 1);
}

TEST_CASE("state_file refuses a directory it cannot create", "[state]") {
    tmp_dir t;
    std::ofstream(t.path / "file") << "x";
    state_file f(t.path / "file" / "state");
    const std::string err = f.prepare();
    CHECK_FALSE(err.empty());
    CHECK(err.find("cannot create") != std::string::npos);
}

TEST_CASE("state_file refuses a symlinked directory it found itself, not one configured", "[state]") {
    tmp_dir t;
    fs::create_directory(t.path / "real");
    fs::create_directory_symlink(t.path / "real", t.path / "link");
    state_file found(t.path / "link");
    const std::string err = found.prepare();
    CHECK(err.find("is a symlink") != std::string::npos);
    state_file configured(t.path / "link", true);
    CHECK(configured.prepare().empty());
}

TEST_CASE("state_file does not follow a link planted as its temp file", "[state]") {
    tmp_dir t;
    state_file f(t.path);
    REQUIRE(f.prepare().empty());
    std::ofstream(t.path / "victim") << "keep me";
    fs::create_symlink(t.path / "victim", t.path / "snapshot.json.tmp");
    REQUIRE(f.save("{}").empty());
    CHECK(read_all(t.path / "victim") == "keep me");
    CHECK(read_all(f.path()) == "{}");
}

TEST_CASE("state_file moves aside a file larger than it may read", "[state]") {
    tmp_dir t;
    state_file f(t.path);
    REQUIRE(f.prepare().empty());
    {
        std::ofstream out(f.path(), std::ios::binary);
        out.seekp(static_cast<std::streamoff>(state_file::max_file_bytes));
        out.put('}');  // one byte over, sparse
    }
    CHECK_FALSE(f.load());
    CHECK_FALSE(fs::exists(f.path()));
    int aside = 0;
    for (const auto& e : fs::directory_iterator(t.path)) {
        aside += e.path().filename().string().starts_with("snapshot.json.corrupt-") ? 1 : 0;
    }
    CHECK(aside == 1);
}

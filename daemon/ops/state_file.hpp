#pragma once
// The state file on disk: where it lives, loading it (a corrupt one is moved
// aside), and saving it atomically. Blocking file I/O: call from the main
// thread before the io threads run, or from the saver thread, never from an
// io thread.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/state.hpp"

namespace tickerd {

// server.state_dir when set, else $STATE_DIRECTORY (systemd's StateDirectory=;
// the first of a ':' list), else $XDG_STATE_HOME/tickerd, else
// $HOME/.local/state/tickerd. Empty when none of them is known.
std::filesystem::path resolve_state_dir(const std::string& configured);

class state_file {
public:
    static constexpr std::string_view file_name = "snapshot.json";
    // A larger file is not read: it is moved aside like a corrupt one. (Five
    // symbols with a day of history take about 200 KB.)
    static constexpr std::uintmax_t max_file_bytes = 32u << 20;

    // `configured`: the directory was named by server.state_dir, so it may be a
    // symlink; one found any other way ($STATE_DIRECTORY, $XDG_STATE_HOME, $HOME)
    // must be a real directory, or a link planted there could make a daemon
    // running as root write elsewhere.
    explicit state_file(std::filesystem::path dir, bool configured = false);

    // Creates the directory (mode 0700) if missing and checks that a file can be
    // written in it. Empty on success, else what went wrong.
    std::string prepare();

    // The saved state; nullopt when there is none. A file that does not parse,
    // or is larger than max_file_bytes, is renamed to
    // snapshot.json.corrupt-<UTC time> and logged as an error.
    std::optional<saved_state> load();

    // Temp file in the same directory, fsync, rename over the file, fsync the
    // directory: a crash at any moment leaves the old or the new file. Empty on
    // success, else the error.
    std::string save(std::string_view bytes);

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path path() const { return dir_ / file_name; }

private:
    void move_aside(const std::string& why);

    std::filesystem::path dir_;
    bool configured_;
};

}  // namespace tickerd

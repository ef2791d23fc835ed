#pragma once
// The web root, read into memory once at start: serving a file never touches
// the disk on an io thread, and a request path can only name a file that was
// loaded (no traversal, no directory listing).
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tickerd {

struct static_file {
    std::shared_ptr<const std::string> content;
    std::string content_type;
    std::string etag;           // quoted, from the content
    std::string last_modified;  // IMF-fixdate
};

class static_files {
public:
    // Loads regular files below `root` (no dotfiles, bounded count and size).
    // A symlink is served under its own name when it resolves to a regular file
    // inside the root; one that resolves outside it (or nowhere) is skipped and
    // listed in skipped(). Directory symlinks are not followed. Returns an empty
    // set and a message in `error` when root is unusable.
    static static_files load(const std::string& root, std::string& error);

    // "/" and "/dir/" mean their index.html. nullptr when there is no such file.
    const static_file* find(std::string_view path) const;
    std::size_t size() const { return files_.size(); }
    const std::vector<std::string>& skipped() const { return skipped_; }

private:
    std::map<std::string, static_file, std::less<>> files_;  // key: "/index.html"
    std::vector<std::string> skipped_;                        // symlinks that lead outside the root or nowhere
};

std::string_view content_type_for(std::string_view path);

}  // namespace tickerd

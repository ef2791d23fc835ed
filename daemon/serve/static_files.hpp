#pragma once
// The web root, read into memory once at start: serving a file never touches
// the disk on an io thread, and a request path can only name a file that was
// loaded (no traversal, no directory listing). Each file is hashed, and gzipped
// when that pays, once at load; HTML pages name the root's other files with
// their hash (?v=), so those can be cached for good.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tickerd {

struct static_file {
    std::shared_ptr<const std::string> content;
    std::shared_ptr<const std::string> gzip;  // content gzipped; null when it would not be smaller
    std::string content_type;
    std::string etag;           // quoted, strong: SHA-256 of the content (first 16 hex digits)
    std::string version;        // SHA-256 of the content, first 12 hex digits: the ?v= of immutable URLs
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

// An HTML page with `?v=VERSION` added to each src="…" / href="…" attribute (in
// a tag, outside comments, scripts and styles) whose value is a path without
// query, fragment or scheme that names a file of the web root other than a
// page: relative to `page` ("/dir/index.html"), or from the root when it starts
// with one "/". `version_of` gets the root path ("/dir/x.js") and returns its
// version, or "" for no such file. Pure.
std::string version_asset_urls(std::string_view html, std::string_view page,
                               const std::function<std::string(std::string_view)>& version_of);

}  // namespace tickerd

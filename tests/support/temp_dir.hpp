// A fresh directory under the system temp dir, removed with everything in it;
// and writing a file (its folders made) in one call.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tickerd::test {

struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(std::string_view prefix = "tickerd-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

void write_file(const std::filesystem::path& p, const std::string& content);

}  // namespace tickerd::test

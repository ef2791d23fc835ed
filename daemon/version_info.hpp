#pragma once
// What `tickerd --version` prints: the version, the build type and the
// versions of the libraries it was built with.
#include <string>

namespace tickerd {

std::string version_text();

}  // namespace tickerd

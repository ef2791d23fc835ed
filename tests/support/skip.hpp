#pragma once
// A test that cannot run because a tool is missing, or in this build, must be
// reported as skipped, never as passed: it prints "SKIPPED: <why>" and returns, and
// the SKIP_REGULAR_EXPRESSION of the integration tests (tests/CMakeLists.txt)
// makes ctest report that test as skipped. Catch's console reporter prints a
// WARN whatever the result, so the line is in the test's output.
#include <catch2/catch.hpp>

#include <string_view>

namespace tickerd::test {

// Call, then return from the test case. `hint` says where the tool comes from.
inline void skip_missing_tool(std::string_view tool, std::string_view hint) {
    WARN("SKIPPED: " << tool << " is not installed (" << hint << ")");
}

// Call, then return from the test case. `why` starts "not under <build>".
inline void skip_in_this_build(std::string_view why) { WARN("SKIPPED: " << why); }

}  // namespace tickerd::test

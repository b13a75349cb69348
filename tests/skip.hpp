#pragma once
// A test case that cannot run here (not root, no tmpfs, ...) says so instead of passing:
//   if (!can_run) { kiosk_test::skip("needs root to mount a tmpfs"); return; }
// The binary then exits with ctest's SKIP_RETURN_CODE (tests/CMakeLists.txt), ctest lists the
// test as skipped, and .ci/run fails on any skipped test that is not on its allow-list.
#include <string>

namespace kiosk_test {

void skip(const std::string& reason);  // defined in tests/doctest_main.cpp

}  // namespace kiosk_test

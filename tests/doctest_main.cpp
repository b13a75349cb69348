// The shared doctest main. ctest runs each TEST_CASE on its own with `--test-case=NAME`; if
// discovery mangled NAME (CMake cuts a name at ';', for one), doctest would run nothing and
// report success. This main fails such a run instead, so a test can never pass unseen.
// A case that called kiosk_test::skip() (skip.hpp) exits with the skip code instead of 0.
// KIOSK_CONFIG is set to a file that does not exist, so no test reads an installed kiosk's.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "skip.hpp"

namespace {

int g_cases_passing_filters = -1;
bool g_skipped = false;
constexpr int kSkipReturnCode = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt

// A listener only to read the run's totals; it reports nothing itself.
struct FilterMatchListener : doctest::IReporter {
  explicit FilterMatchListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_cases_passing_filters = static_cast<int>(stats.numTestCasesPassingFilters);
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("filter-match", 1, FilterMatchListener);

bool names_test_cases(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const char* flag : {"--test-case=", "-tc=", "--dt-test-case=", "--dt-tc="})
      if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) return true;
  return false;
}

}  // namespace

void kiosk_test::skip(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  g_skipped = true;
}

int main(int argc, char** argv) {
  // Never the machine's /etc/helsenorge-kiosk/kiosk.toml (a kiosk may be installed where the
  // tests run), for this process and the kioskctl it runs: each test gives its own config.
  ::setenv("KIOSK_CONFIG", "/nonexistent/kiosk.toml", 1);
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;  // --list-test-cases, --help, ...
  if (result == 0 && names_test_cases(argc, argv) && g_cases_passing_filters == 0) {
    std::fprintf(stderr, "no test case matches the name given with --test-case; nothing was tested\n");
    return 1;
  }
  if (result == 0 && g_skipped) return kSkipReturnCode;
  return result;
}

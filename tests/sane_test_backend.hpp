#pragma once
// For tests that use SANE's `test` backend.
#include <dlfcn.h>

namespace kiosk_test {

// libsane unloads its backends on sane_exit; a one-time buffer of the test backend then shows
// in LeakSanitizer as "<unknown module>", which the libsane suppression in tests/lsan.supp
// cannot match. Keeping the module loaded lets the report name it.
inline void keep_sane_test_backend_loaded() {
  static void* const keep_loaded =
      ::dlopen("/usr/lib/x86_64-linux-gnu/sane/libsane-test.so.1", RTLD_NOW | RTLD_NODELETE);
  (void)keep_loaded;
}

}  // namespace kiosk_test

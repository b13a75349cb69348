#pragma once
// A file descriptor closed when it goes out of scope (or at reset()); release() hands it on.
#include <unistd.h>

namespace kiosk {

struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  void reset() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int release() noexcept {
    const int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace kiosk

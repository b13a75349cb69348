#include "random_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

namespace kiosk {

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> random(bytes);
  for (size_t got = 0; got < bytes;) {
    const ssize_t n = ::getrandom(random.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("no random bytes from the kernel");
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (unsigned char b : random) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

}  // namespace kiosk

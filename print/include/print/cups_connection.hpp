#pragma once
// The one way the kiosk connects to a CUPS server (print service, doctor, setup), closed when
// it goes out of scope.
#include <cups/cups.h>

#include <memory>
#include <string>

namespace print {

struct CupsClose {
  void operator()(http_t* http) const noexcept { httpClose(http); }
};
using CupsConnection = std::unique_ptr<http_t, CupsClose>;

// Connects from the calling thread (CUPS keeps the server per thread) to `server` when given,
// else to the configured one (cupsServer()); null when it cannot be reached within 5 s.
CupsConnection connect_cups(const std::string& server = "");

}  // namespace print

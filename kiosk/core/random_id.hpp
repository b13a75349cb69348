#pragma once
// Random ids (submission ids, file names, references in the audit table): `bytes` bytes from the
// kernel's random source, as lower-case hex (two characters a byte).
#include <cstddef>
#include <string>

namespace kiosk {

std::string random_hex(size_t bytes);

}  // namespace kiosk

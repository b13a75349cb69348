#include "private_folder.hpp"

#include <sys/vfs.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kiosk {

namespace {
// linux/magic.h: TMPFS_MAGIC, RAMFS_MAGIC (spelled out: the header is not always installed).
constexpr unsigned long kTmpfsMagic = 0x01021994UL;
constexpr unsigned long kRamfsMagic = 0x858458f6UL;
}  // namespace

std::filesystem::path scan_page_dir(const Config& config) {
  const auto configured = config.get_path("scanner.page_dir");
  if (!configured.empty()) return configured;
  if (const char* runtime = std::getenv("RUNTIME_DIRECTORY"); runtime && *runtime) {
    // systemd lists several folders separated by ':' when a unit has more than one.
    std::string first(runtime);
    return first.substr(0, first.find(':'));
  }
  return "/dev/shm";
}

std::string memory_folder_problem(const std::filesystem::path& folder) {
  struct statfs fs {};
  if (::statfs(folder.c_str(), &fs) != 0) return folder.string() + " cannot be used: " + std::strerror(errno);
  const auto type = static_cast<unsigned long>(fs.f_type);
  if (type == kTmpfsMagic || type == kRamfsMagic) return {};
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", type);
  return folder.string() + " is not in memory (file system type " + hex + ", not tmpfs or ramfs)";
}

}  // namespace kiosk

#pragma once
#include <filesystem>
#include <string>

#include "config.hpp"

namespace kiosk {

// Where scanned pages live while a person is at the kiosk (scanner.page_dir): a folder in
// memory, so a signed form or a guardianship paper never reaches the disk. Empty in the
// configuration: $RUNTIME_DIRECTORY (the unit's RuntimeDirectory=, a tmpfs under /run), else
// /dev/shm (a tmpfs on every Linux).
std::filesystem::path scan_page_dir(const Config& config);

// Empty when `folder` is on tmpfs or ramfs; otherwise what is wrong, for logs and the doctor
// (the folder is missing, or which file system it is on).
std::string memory_folder_problem(const std::filesystem::path& folder);

}  // namespace kiosk

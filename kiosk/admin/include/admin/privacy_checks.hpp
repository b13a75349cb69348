#pragma once
// Doctor checks for issue 15's privacy items: where the store key is kept, and whether scanned
// pages and printed forms stay off the disk.
#include <filesystem>

#include "admin/checks.hpp"
#include "config.hpp"

namespace kiosk::admin {

// "key": the store key as an encrypted systemd credential (ok; as root: it decrypts here), or a
// plain key file (its mode and owner checked as before; beside the installed store a warning:
// a stolen disk reads the queue).
CheckResult check_store_key(const Config& config, unsigned expected_owner_uid);

// The key file this process can hand to check_store: the plain file, else the unit's
// $CREDENTIALS_DIRECTORY/store.key; empty when the key is sealed and only systemd can open it.
std::filesystem::path readable_store_key(const Config& config);

// "page-dir": scanner.page_dir on tmpfs (failed when not, unless scanner.pages_on_disk, which is a
// development setting: warning).
CheckResult check_private_folders(const Config& config);

}  // namespace kiosk::admin

#pragma once
#include <filesystem>
#include <ostream>

#include "command.hpp"
#include "store/store.hpp"

namespace kiosk::cli {

// One mapping from a store failure to its plain message and exit code, shared by every command
// that opens the store: a broken or unreadable store is bad input, a full disk or a busy store is
// a service that is unavailable right now.
inline int report_store_error(Context& ctx, const store::StoreError& e) {
  ctx.err << e.what() << "\n";
  if (e.needs_restore()) return kExitBadInput;
  switch (e.kind()) {
    case store::StoreError::Kind::DiskFull:
    case store::StoreError::Kind::Busy:
      return kExitUnavailable;
    default:
      return kExitFailed;
  }
}

// Commands that read or change what is in the store never make one: opening a file that is not
// there would create an empty store, and an admin who mistyped the path would be told "empty"
// instead. True (and the admin told, for exit code 4) when `db_file` does not exist. (The kiosk
// makes its store, owned by the kiosk user, when it first starts.)
inline bool report_missing_store(Context& ctx, const std::filesystem::path& db_file) {
  if (std::filesystem::exists(db_file)) return false;
  ctx.err << "There is no kiosk store at " << db_file.string()
          << " (check store.path or --store; the kiosk makes its store when it first starts).\n";
  return true;
}

}  // namespace kiosk::cli

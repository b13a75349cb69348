#pragma once
#include <ostream>

#include "command.hpp"
#include "store/store.hpp"

namespace kiosk::cli {

// One mapping from a store failure to its plain message and exit code, shared by every command
// that opens the store: a broken or unreadable store is bad input, a full disk or a busy store is
// a service that is unavailable right now.
inline int report_store_error(Context& ctx, const store::StoreError& e) {
  ctx.err << e.what() << "\n";
  switch (e.kind()) {
    case store::StoreError::Kind::DiskFull:
    case store::StoreError::Kind::Busy:
      return kExitUnavailable;
    case store::StoreError::Kind::Corrupt:
    case store::StoreError::Kind::WrongKey:
    case store::StoreError::Kind::MissingKey:
      return kExitBadInput;
    default:
      return kExitFailed;
  }
}

}  // namespace kiosk::cli

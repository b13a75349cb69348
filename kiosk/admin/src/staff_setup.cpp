// The first staff member, added by the first-run setup (kioskctl setup or the on-screen setup)
// before the kiosk has made its store.
#include <sys/stat.h>
#include <unistd.h>

#include "admin/checks.hpp"
#include "admin/setup.hpp"

#include "store/staff_members.hpp"
#include "store/store.hpp"

namespace kiosk::admin {

void add_staff_member(const Config& config, const std::string& id, const std::string& name, const std::string& pin) {
  if (!store::valid_staff_number(id)) throw SetupError("The staff number must be 1 to 8 digits (got \"" + id + "\").");
  if (!store::valid_staff_name(name))
    throw SetupError("The staff member's name must be 1 to 40 characters (initials or a name), on one line.");
  const std::string hash = hash_staff_pin(pin);  // checks 6 to 12 digits
  const auto db_file = config.get_path("store.path");
  const auto key_file = config.get_path("store.key_file");
  try {
    auto store = store::Store::open(db_file, key_file);
    store::StaffMembers(store).add(id, name, hash, "admin-setup");
    store.checkpoint();  // nothing left in a -wal file owned by whoever ran the setup
  } catch (const store::StaffMemberError& e) {
    throw SetupError(e.what());
  } catch (const store::StoreError& e) {
    if (e.needs_restore()) throw SetupError(e.what());
    throw SetupUnavailable(e.what());
  } catch (const std::filesystem::filesystem_error& e) {  // a folder on the way cannot be searched
    throw SetupUnavailable("The kiosk store " + db_file.string() + " cannot be reached: " + e.code().message() + ".");
  }
  // Owned by root (the setup runs as root; also a store a failed earlier setup left half made):
  // the kiosk runs as the kiosk user and must own it.
  if (::geteuid() == 0) {
    if (const auto uid = kiosk_user_uid()) {
      const auto gid = kiosk_user_gid().value_or(static_cast<unsigned>(-1));
      for (const auto& file : {db_file, key_file}) {
        struct stat info {};
        if (::stat(file.c_str(), &info) == 0 && info.st_uid == 0 && ::chown(file.c_str(), *uid, gid) != 0)
          throw SetupUnavailable("Cannot give " + file.string() + " to the kiosk user.");
      }
    }
  }
}

}  // namespace kiosk::admin

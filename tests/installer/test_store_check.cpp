#include <doctest/doctest.h>

#include "admin/checks.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;

TEST_CASE("doctor store with kiosk_store: opens with its key at the latest schema, a wrong or missing key fails") {
  kiosk_test::TempDir dir;
  { auto store = kiosk::store::Store::open(dir / "kiosk.db", dir / "store.key"); }
  { auto other = kiosk::store::Store::open(dir / "other.db", dir / "other.key"); }
  auto good = check_store(dir / "kiosk.db", dir / "store.key");
  CHECK_MESSAGE(good.status == CheckStatus::Ok, good.message);
  CHECK(contains(good.message, "schema version " + std::to_string(kiosk::store::Store::latest_schema_version())));

  auto wrong = check_store(dir / "kiosk.db", dir / "other.key");
  CHECK(wrong.status == CheckStatus::Failed);
  CHECK(contains(wrong.fix, "Restore the store key"));

  auto missing = check_store(dir / "kiosk.db", dir / "no.key");
  CHECK(missing.status == CheckStatus::Failed);
  CHECK(contains(missing.fix, "backup"));
  // The check never makes a key for an existing store.
  CHECK_FALSE(std::filesystem::exists(dir / "no.key"));
}

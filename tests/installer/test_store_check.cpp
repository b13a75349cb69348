#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/checks.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "outbox/crypto.hpp"
#include "outbox/outbox.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
namespace ob = kiosk::outbox;
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

namespace {

int sh(const std::string& command) {
  return std::system(command.c_str());
}

ob::Bytes receipt(const std::filesystem::path& env, const nlohmann::json& body,
                  const std::string& signed_by = "platform-signing") {
  const std::string text = body.dump();
  ob::KeyPair signer{ob::load_certificate(env / "certs" / (signed_by + ".pem")),
                     ob::load_private_key(env / "certs" / (signed_by + ".key"))};
  const auto to = ob::load_certificate(env / "certs/kiosk-decryption.pem");
  return ob::sign_then_encrypt(ob::Bytes(text.begin(), text.end()), signer, to.get());
}

ob::NewSubmission example(const forms::Questionnaire& form, unsigned seed) {
  ob::NewSubmission s;
  s.form_id = form.id;
  s.answers = forms::make_example_answers(form, seed);
  return s;
}

}  // namespace

// The package's pre-removal script asks `kioskctl admin undelivered` how many submissions would
// be lost; here on a store made by the real migrations, its submissions put in every state by
// the real outbox (sending, a broker that keeps failing, receipts signed by the platform, staff).
TEST_CASE("undelivered on the real store: queued, sent and parked count, accepted, rejected and cancelled do not") {
  kiosk_test::TempDir dir;
  const auto env = dir / "env";
  REQUIRE(sh(std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + env.string() +
             " --broker amqp://127.0.0.1:9 > /dev/null") == 0);
  auto config = kiosk::Config::load(env / "kiosk.toml");
  config.set("delivery.max_attempts", std::int64_t{2});
  const auto store_file = config.get_path("store.path");
  CHECK(count_undelivered(dir / "none.db") == 0);  // no store yet: nothing owed, and nothing created
  CHECK_FALSE(std::filesystem::exists(dir / "none.db"));

  const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  const auto& form = catalogue.forms().front();
  ob::Outbox outbox(config);
  CHECK(count_undelivered(store_file) == 0);  // the real schema, empty
  std::vector<ob::Committed> c;
  for (unsigned i = 0; i < 6; ++i) c.push_back(outbox.commit_submission(example(form, i + 1)));
  CHECK(count_undelivered(store_file) == 6);
  // c[0] stays queued; c[1] is sent and waits for its receipt; c[2] failed too often: parked.
  outbox.mark_sent(c[1].id);
  outbox.mark_failed(c[2].id, "broker said no");
  outbox.mark_failed(c[2].id, "broker said no");
  // c[3] accepted and c[4] rejected by the platform; staff cancel c[5].
  REQUIRE(outbox.apply_receipt(
              receipt(env, {{"messageId", c[3].id}, {"outcome", "accepted"}, {"platformReference", "HN-1"}})) ==
          ob::ReceiptResult::Accepted);
  REQUIRE(outbox.apply_receipt(receipt(env, {{"messageId", c[4].id},
                                             {"outcome", "rejected"},
                                             {"reasonCode", "KIOSK-000021"},
                                             {"reasonText", "Svarene ble ikke godtatt"}})) ==
          ob::ReceiptResult::Rejected);
  // A receipt signed by another certificate of the same trusted CA (the kiosk's own) is not the
  // platform's: it settles nothing.
  CHECK(outbox.apply_receipt(receipt(
            env, {{"messageId", c[0].id}, {"outcome", "accepted"}, {"platformReference", "HN-X"}}, "kiosk-signing")) !=
        ob::ReceiptResult::Accepted);
  outbox.cancel(c[5].reference, "staff-1");
  const std::vector<ob::Status> want = {ob::Status::Queued,   ob::Status::Sent,     ob::Status::Parked,
                                        ob::Status::Accepted, ob::Status::Rejected, ob::Status::Cancelled};
  for (size_t i = 0; i < c.size(); ++i) CHECK(outbox.status(c[i].reference)->status == want[i]);

  // While the kiosk still has the store open (its log not merged), and through kioskctl as prerm runs it.
  CHECK(count_undelivered(store_file) == 3);
  const auto out = dir / "undelivered.txt";
  REQUIRE(sh(std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl admin undelivered --config " +
             (env / "kiosk.toml").string() + " > " + out.string() + " 2>&1") == 0);
  CHECK(kiosk_test::read_file(out) == "3\n");
  // A sent one answered: one fewer.
  REQUIRE(outbox.apply_receipt(
              receipt(env, {{"messageId", c[1].id}, {"outcome", "accepted"}, {"platformReference", "HN-2"}})) ==
          ob::ReceiptResult::Accepted);
  CHECK(count_undelivered(store_file) == 2);
}

// The platform's own certificate without non-repudiation (a signing key for something else): a
// receipt signed with it settles nothing, so the submission is still owed.
TEST_CASE("undelivered on the real store: a receipt signed without non-repudiation settles nothing") {
  kiosk_test::TempDir dir;
  const auto env = dir / "env";
  REQUIRE(sh(std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + env.string() +
             " --broker amqp://127.0.0.1:9 > /dev/null") == 0);
  const auto certs = env / "certs";
  kiosk_test::write_file(dir / "ext.cnf", "keyUsage=critical,digitalSignature\n");
  REQUIRE(sh("cd " + certs.string() +
             " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout no-nr.key"
             " -subj '/O=Helsenorge kiosk TEST/CN=platform without non-repudiation' -out no-nr.csr 2>/dev/null"
             " && openssl x509 -req -in no-nr.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out no-nr.pem"
             " -extfile " +
             (dir / "ext.cnf").string() + " 2>/dev/null") == 0);
  auto config = kiosk::Config::load(env / "kiosk.toml");
  config.set("security.platform_signing_certificate", (certs / "no-nr.pem").string());
  const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  ob::Outbox outbox(config);
  const auto c = outbox.commit_submission(example(catalogue.forms().front(), 1));
  // Signed, then encrypted to the kiosk, by the openssl command (the library refuses to sign with it).
  kiosk_test::write_file(
      dir / "receipt.json",
      nlohmann::json{{"messageId", c.id}, {"outcome", "accepted"}, {"platformReference", "HN-1"}}.dump());
  REQUIRE(sh("cd " + certs.string() +
             " && openssl cms -sign -binary -nodetach -signer no-nr.pem -inkey no-nr.key -in " +
             (dir / "receipt.json").string() +
             " -outform DER | openssl cms -encrypt -binary -aes-256-cbc -inform DER -outform DER -out " +
             (dir / "receipt.der").string() + " kiosk-decryption.pem") == 0);
  const std::string der = kiosk_test::read_file(dir / "receipt.der");
  REQUIRE(der.size() > 500);
  CHECK(outbox.apply_receipt(ob::Bytes(der.begin(), der.end())) != ob::ReceiptResult::Accepted);
  CHECK(outbox.status(c.reference)->status == ob::Status::Queued);
  CHECK(count_undelivered(config.get_path("store.path")) == 1);
}

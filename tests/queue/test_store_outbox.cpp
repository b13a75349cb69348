// Unit tests for the store and the outbox: real SQLite files, real keys and certificates
// (made by the real `kioskctl demo-env`), no broker.
#include <doctest/doctest.h>

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "admin/checks.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/identity.hpp"
#include "forms/representation.hpp"
#include "helpers.hpp"
#include "outbox/bundle.hpp"
#include "outbox/crypto.hpp"
#include "outbox/error_codes.hpp"
#include "outbox/outbox.hpp"
#include "outbox/pdf.hpp"
#include "skip.hpp"
#include "store/held_sheets.hpp"
#include "store/store.hpp"

using namespace queue_test;
namespace ob = kiosk::outbox;
namespace st = kiosk::store;
using nlohmann::json;

namespace {

constexpr const char* kForm = "reservasjon-kjernejournal";

struct DemoEnv {
  TempDir dir{"kiosk-queue-unit"};
  kiosk::Config config;
  DemoEnv() {
    const auto r = run({bin("kioskctl"), "demo-env", "--out", (dir.path / "env").string()}, dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    config = kiosk::Config::load(dir.path / "env/kiosk.toml");
  }
  fs::path env() const { return dir.path / "env"; }
  fs::path db() const { return env() / "kiosk.db"; }
};

const forms::Questionnaire& form() {
  static const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  return catalogue.at(kForm);
}

ob::NewSubmission example(unsigned seed, int pages = 0) {
  ob::NewSubmission s;
  s.form_id = kForm;
  s.answers = forms::make_example_answers(form(), seed);
  for (int i = 0; i < pages; ++i)
    s.pages.push_back(ob::make_test_page_png(620, 877, seed * 10 + static_cast<unsigned>(i)));
  return s;
}

std::string file_bytes(const fs::path& p) {
  return fs::exists(p) ? read_text(p) : std::string();
}

// Everything SQLite may have written: the main file and the WAL.
std::string store_bytes(const fs::path& db) {
  return file_bytes(db) + file_bytes(db.string() + "-wal");
}

ob::Bytes to_bytes(const std::string& s) {
  return ob::Bytes(s.begin(), s.end());
}

ob::Bytes make_receipt(const fs::path& env, const json& body, bool to_legacy = false) {
  ob::KeyPair signer{ob::load_certificate(env / "certs/platform-signing.pem"),
                     ob::load_private_key(env / "certs/platform-signing.key")};
  const auto to =
      ob::load_certificate(env / (to_legacy ? "certs/kiosk-legacy-decryption.pem" : "certs/kiosk-decryption.pem"));
  return ob::sign_then_encrypt(to_bytes(body.dump()), signer, to.get());
}

int count(st::Store& store, const std::string& sql) {
  auto s = store.db().prepare(sql);
  s.step();
  return static_cast<int>(s.integer(0));
}

}  // namespace

TEST_CASE("store: migrations bring a new or old store to the latest schema") {
  TempDir dir("kiosk-store");
  {
    auto store = st::Store::open(dir.path / "k.db", dir.path / "k.key");
    CHECK(store.schema_version() == st::Store::latest_schema_version());
    CHECK(count(store,
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                "('submissions','field_values','pages','representation','outbox','receipts','audit_log')") == 7);
    CHECK((fs::status(dir.path / "k.key").permissions() & fs::perms::mask) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    // Pretend it is a version-1 store: the next open applies every later migration.
    store.db().exec(
        "DROP INDEX receipts_by_submission; ALTER TABLE pages DROP COLUMN image; DROP TABLE held_pages; "
        "DROP TABLE held_sheets; DROP TABLE staff_members; DROP TABLE staff_sign_in_failures; "
        "DROP TABLE staff_wrong_pins; DROP TABLE staff_lockouts; DROP INDEX submissions_by_sheet; "
        "ALTER TABLE submissions DROP COLUMN sheet_id; DROP TABLE message_ids; ALTER TABLE outbox DROP COLUMN "
        "lease_owner; ALTER TABLE outbox DROP COLUMN lease_until; DROP TABLE delivery_workers; DROP TABLE "
        "delivery_state; ALTER TABLE outbox DROP COLUMN parked_cause; DROP TABLE withdrawals; PRAGMA user_version=1;");
  }
  auto store = st::Store::open(dir.path / "k.db", dir.path / "k.key");
  CHECK(store.schema_version() == st::Store::latest_schema_version());
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name='receipts_by_submission'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM pragma_table_info('pages') WHERE name='image'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('held_sheets','held_pages')") == 2);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name='staff_members'") == 1);
  CHECK(count(store,
              "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('staff_sign_in_failures','staff_wrong_pins')") == 2);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name='submissions_by_sheet'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name='message_ids'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM pragma_table_info('staff_sign_in_failures') WHERE name='lockouts'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name='staff_lockouts'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name IN ('lease_owner','lease_until')") ==
        2);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('delivery_workers','delivery_state')") == 2);
  CHECK(count(store, "SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name='parked_cause'") == 1);
  CHECK(count(store, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('withdrawals','withdrawals_by_submission')") ==
        2);
  auto mode = store.db().prepare("PRAGMA journal_mode");
  mode.step();
  CHECK(mode.text(0) == "wal");
}

TEST_CASE("store: personal data is encrypted at rest") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  auto submission = example(7, 1);
  const auto page = submission.pages[0];
  const std::string id_number = submission.answers.first("person.id")->text;
  const std::string name = submission.answers.first("person.name")->text;
  REQUIRE(forms::validate_identity_number(id_number).valid);
  const auto committed = outbox.commit_submission(submission);
  const std::string bytes = store_bytes(env.db());
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.find(id_number) == std::string::npos);
  CHECK(bytes.find(name) == std::string::npos);
  // The page image is stored (sealed with the store key), never in the clear.
  for (size_t at : {size_t{40}, page.size() / 2, page.size() - 200})
    CHECK(bytes.find(std::string(page.begin() + static_cast<long>(at), page.begin() + static_cast<long>(at) + 64)) ==
          std::string::npos);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM pages WHERE image IS NOT NULL") == 1);
  const auto images = outbox.page_images(committed.reference);
  REQUIRE(images.size() == 1);
  CHECK(images[0] == page);
  // The data is there, readable with the key.
  {
    auto s =
        outbox.store().db().prepare("SELECT value FROM field_values WHERE submission_id=? AND link_id='person.id'");
    s.bind(1, committed.id);
    REQUIRE(s.step());
    CHECK(outbox.store().box().open_text(s.blob(0), "field:" + committed.id + ":person.id").find(id_number) !=
          std::string::npos);
  }
  // The audit log names the reference, never the person.
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='commit'") == 1);
  {
    auto audit = outbox.store().db().prepare("SELECT actor || action || reference || detail FROM audit_log");
    while (audit.step()) CHECK(audit.text(0).find(id_number) == std::string::npos);
  }
  // Cancelled by staff: the sealed image is gone from the file and the WAL too.
  st::Bytes sealed_page;
  {
    auto p = outbox.store().db().prepare("SELECT image FROM pages WHERE submission_id=?");
    p.bind(1, committed.id);
    REQUIRE(p.step());
    sealed_page = p.blob(0);
  }
  const std::string sealed_marker(sealed_page.begin() + 1000, sealed_page.begin() + 1064);
  REQUIRE(outbox.store().checkpoint());
  REQUIRE(store_bytes(env.db()).find(sealed_marker) != std::string::npos);
  outbox.cancel(committed.reference, "staff-1");
  CHECK(outbox.page_images(committed.reference).empty());
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM pages") == 0);
  CHECK(store_bytes(env.db()).find(sealed_marker) == std::string::npos);
}

TEST_CASE("store: a wrong, missing or exposed key is a clear error") {
  TempDir dir("kiosk-store");
  { st::Store::open(dir.path / "k.db", dir.path / "k.key"); }
  const std::string good_key = read_text(dir.path / "k.key");
  std::string other = good_key;
  other[0] = static_cast<char>(other[0] ^ 0x55);
  std::ofstream(dir.path / "k.key", std::ios::binary | std::ios::trunc) << other;
  try {
    st::Store::open(dir.path / "k.db", dir.path / "k.key");
    FAIL("opened with a wrong key");
  } catch (const st::StoreError& e) {
    CHECK(e.kind() == st::StoreError::Kind::WrongKey);
    CHECK(std::string(e.what()).find("does not belong") != std::string::npos);
  }
  fs::remove(dir.path / "k.key");
  try {
    st::Store::open(dir.path / "k.db", dir.path / "k.key");
    FAIL("opened without a key");
  } catch (const st::StoreError& e) {
    CHECK(e.kind() == st::StoreError::Kind::MissingKey);
  }
  CHECK_FALSE(fs::exists(dir.path / "k.key"));  // never silently replaced
  std::ofstream(dir.path / "k.key", std::ios::binary) << good_key;
  fs::permissions(dir.path / "k.key", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  CHECK_THROWS_AS(st::Store::open(dir.path / "k.db", dir.path / "k.key"), st::StoreError);
  fs::permissions(dir.path / "k.key", fs::perms::owner_read | fs::perms::owner_write);
  CHECK_NOTHROW(st::Store::open(dir.path / "k.db", dir.path / "k.key"));
  // The command line says so in plain words, exit code 3.
  std::ofstream(dir.path / "k.key", std::ios::binary | std::ios::trunc) << other;
  const auto r = run({bin("kioskctl"), "queue", "list", "--store", (dir.path / "k.db").string()}, dir.path);
  CHECK(r.code == 3);
  (void)r;
}

TEST_CASE("store: a transaction rolls back unless committed") {
  TempDir dir("kiosk-store");
  auto store = st::Store::open(dir.path / "k.db", dir.path / "k.key");
  try {
    st::Transaction tx(store.db());
    store.audit("test", "first", "HK-1");
    throw std::runtime_error("interrupted");
  } catch (const std::runtime_error&) {
  }
  CHECK(count(store, "SELECT COUNT(*) FROM audit_log") == 0);
  {
    st::Transaction tx(store.db());
    store.audit("test", "second", "HK-2");
    tx.commit();
  }
  CHECK(count(store, "SELECT COUNT(*) FROM audit_log") == 1);
}

TEST_CASE("store: a corrupt store file is a clear error and is left as it is") {
  TempDir dir("kiosk-store");
  std::string garbage(64 * 1024, 'x');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131) % 251);
  std::ofstream(dir.path / "k.db", std::ios::binary) << garbage;
  try {
    st::Store::open(dir.path / "k.db", dir.path / "k.key");
    FAIL("opened a corrupt file");
  } catch (const st::StoreError& e) {
    CHECK(e.kind() == st::StoreError::Kind::Corrupt);
  }
  CHECK(read_text(dir.path / "k.db") == garbage);
  const auto r = run({bin("kioskctl"), "queue", "list", "--store", (dir.path / "k.db").string()}, dir.path);
  CHECK(r.code == 3);
  CHECK(r.output.find("damaged") != std::string::npos);
  CHECK(read_text(dir.path / "k.db") == garbage);
}

TEST_CASE("store: a full disk is a clear error and nothing is corrupt") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  const auto first = outbox.commit_submission(example(1, 1));
  // The store may grow by only a few pages: a two-page submission does not fit.
  const int pages = count(outbox.store(), "PRAGMA page_count");
  outbox.store().db().exec("PRAGMA max_page_count=" + std::to_string(pages + 2));
  try {
    outbox.commit_submission(example(2, 2));
    FAIL("committed on a full disk");
  } catch (const st::StoreError& e) {
    CHECK(e.kind() == st::StoreError::Kind::DiskFull);
    CHECK(std::string(e.what()).find("disk is full") != std::string::npos);
  }
  auto check = outbox.store().db().prepare("PRAGMA integrity_check");
  REQUIRE(check.step());
  CHECK(check.text(0) == "ok");
  CHECK(outbox.list().size() == 1);
  CHECK(outbox.status(first.reference)->status == ob::Status::Queued);
  // Small things still work (the kiosk keeps working for what it can).
  CHECK_NOTHROW(outbox.commit_submission(example(3, 0)));
}

namespace {
// A small tmpfs, mounted for one test and detached when it ends.
struct SmallTmpfs {
  fs::path dir;
  bool mounted = false;
  SmallTmpfs(const fs::path& where, const char* size) : dir(where) {
    fs::create_directories(dir);
    mounted = ::geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, size) == 0;
  }
  ~SmallTmpfs() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
};
}  // namespace

TEST_CASE("store: a really full disk (a 4 MB tmpfs) is a clear error, the kiosk keeps working and recovers") {
  DemoEnv env;
  SmallTmpfs disk(env.dir.path / "small-disk", "size=4m");
  if (!disk.mounted) {
    kiosk_test::skip("mounting a 4 MB tmpfs failed (it needs root; CI runs as root)");
    return;
  }
  env.config.set("store.path", (disk.dir / "kiosk.db").string());
  // Something else also uses the disk; removing it later frees space.
  std::ofstream(disk.dir / "other-file", std::ios::binary) << std::string(512 * 1024, 'x');
  std::vector<ob::Committed> committed;
  bool full = false;
  {
    ob::Outbox outbox(env.config);
    for (unsigned seed = 1; seed <= 40 && !full; ++seed) {
      try {
        committed.push_back(outbox.commit_submission(example(seed, 2)));
      } catch (const st::StoreError& e) {
        full = true;
        INFO(e.what());
        CHECK(e.kind() == st::StoreError::Kind::DiskFull);
        CHECK(std::string(e.what()).find("disk is full") != std::string::npos);
      }
    }
    REQUIRE(full);
    REQUIRE(committed.size() >= 2);
    // What is committed is intact and readable; staff can still list and inspect it.
    CHECK(outbox.list().size() == committed.size());
    for (const auto& c : committed) CHECK(outbox.status(c.reference)->status == ob::Status::Queued);
    CHECK(outbox.page_images(committed.front().reference).size() == 2);
    auto check = outbox.store().db().prepare("PRAGMA integrity_check");
    REQUIRE(check.step());
    CHECK(check.text(0) == "ok");
    const auto listed = run({bin("kioskctl"), "queue", "list", "--config", (env.env() / "kiosk.toml").string(),
                             "--store", (disk.dir / "kiosk.db").string()},
                            env.dir.path);
    CHECK_MESSAGE(listed.code == 0, listed.output);
    // Another large submission is refused the same clear way, and nothing changes.
    CHECK_THROWS_AS(outbox.commit_submission(example(99, 2)), st::StoreError);
    CHECK(outbox.list().size() == committed.size());
  }
  // Space is freed: the kiosk commits again, and everything is still there after a restart.
  fs::remove(disk.dir / "other-file");
  ob::Outbox outbox(env.config);
  CHECK(outbox.list().size() == committed.size());
  const auto after = outbox.commit_submission(example(100, 0));
  CHECK(outbox.status(after.reference)->status == ob::Status::Queued);
  for (const auto& c : committed) CHECK(outbox.status(c.reference)->status == ob::Status::Queued);
  auto check = outbox.store().db().prepare("PRAGMA integrity_check");
  REQUIRE(check.step());
  CHECK(check.text(0) == "ok");
}

TEST_CASE("outbox: Bundle round trip: built, signed, encrypted, decrypted and verified") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  auto submission = example(11, 2);
  const std::string represented = submission.answers.first("person.id")->text;
  const auto representative = forms::make_identity_number({1980, 1, 1}, forms::IdentityKind::SyntheticTest, 123);
  REQUIRE(representative);
  submission.representation = ob::RepresentationInfo{"power-of-attorney", *representative, "", {}};
  submission.assisted_by = "staff-42";
  const auto committed = outbox.commit_submission(submission);
  // Stored at commit: the Bundle sealed with the store key (no identity number readable);
  // the delivery worker builds the signed and encrypted message from it.
  auto s = outbox.store().db().prepare("SELECT payload FROM outbox WHERE submission_id=?");
  s.bind(1, committed.id);
  REQUIRE(s.step());
  const auto stored = s.blob(0);
  CHECK(std::string(stored.begin(), stored.end()).find(represented) == std::string::npos);
  const auto due = outbox.due_messages(st::now_ms() + 1000, 10, {});
  REQUIRE(due.size() == 1);
  CHECK(due[0].id == committed.id);
  const auto payload = due[0].payload;

  ob::KeyPair platform{ob::load_certificate(env.env() / "certs/platform-encryption.pem"),
                       ob::load_private_key(env.env() / "certs/platform-encryption.key")};
  const auto ca = ob::load_certificate(env.env() / "certs/ca.pem");
  const auto opened = ob::decrypt_then_verify(payload, {&platform}, ca.get(), nullptr);
  CHECK(ob::subject_common_name(opened.signer.get()).find("signing") != std::string::npos);
  const json bundle = json::parse(opened.content.begin(), opened.content.end());
  const auto summary = ob::read_bundle(bundle);
  // Built again (a re-send): the same Bundle, byte for byte, under the same message-id.
  const auto again = outbox.due_messages(st::now_ms() + 1000, 10, {});
  REQUIRE(again.size() == 1);
  CHECK(ob::decrypt_then_verify(again[0].payload, {&platform}, ca.get(), nullptr).content == opened.content);
  CHECK(summary.submission_id == committed.id);
  // The receiver's fast reading (PDF lifted out before parsing) reads the same, also when
  // an answer contains the text it looks for.
  for (const std::string& text : {std::string(opened.content.begin(), opened.content.end()), [&] {
                                    json changed = bundle;
                                    changed["entry"][1]["resource"]["item"][0]["text"] = "\"data\":\"AAAA\"";
                                    return changed.dump();
                                  }()}) {
    const auto fast = ob::read_bundle_text(text);
    CHECK(fast.pdf == summary.pdf);
    CHECK(fast.pdf_hash == summary.pdf_hash);
    CHECK(fast.subject == summary.subject);
    CHECK(fast.questionnaire_response.dump().size() > 100);
  }
  CHECK(summary.subject == represented);
  CHECK(summary.representative == *representative);
  CHECK(summary.representation_type == "power-of-attorney");
  CHECK(summary.from_her_id == "8142519");
  CHECK(ob::base64(ob::sha1(summary.pdf)) == summary.pdf_hash);  // Attachment.hash is SHA-1 (R4)
  CHECK(ob::sha256_base64(summary.pdf) == summary.pdf_sha256);
  std::vector<std::string> types;
  for (const auto& e : bundle["entry"]) types.push_back(e["resource"]["resourceType"]);
  CHECK(types == std::vector<std::string>{"MessageHeader", "QuestionnaireResponse", "DocumentReference", "Provenance"});
  const json& provenance = bundle["entry"][3]["resource"];
  CHECK(provenance["agent"].size() == 3);  // kiosk, staff member, representative
  CHECK(provenance["agent"][1]["who"]["identifier"]["value"] == "staff-42");
  CHECK(provenance["agent"][2]["onBehalfOf"]["identifier"]["value"] == represented);
  // The pages are one real PDF with two pages.
  std::ofstream(env.dir.path / "pages.pdf", std::ios::binary)
      .write(reinterpret_cast<const char*>(summary.pdf.data()), static_cast<std::streamsize>(summary.pdf.size()));
  const auto info = run({"/usr/bin/pdfinfo", (env.dir.path / "pages.pdf").string()}, env.dir.path);
  CHECK(info.code == 0);
  CHECK(info.output.find("Pages:") != std::string::npos);
  CHECK(info.output.substr(info.output.find("Pages:") + 6, 20).find_first_not_of(" ") ==
        info.output.substr(info.output.find("Pages:") + 6, 20).find("2"));
  // A stolen kiosk cannot read its own queue: the kiosk's keys do not open the payload.
  ob::KeyPair kiosk_key{ob::load_certificate(env.env() / "certs/kiosk-decryption.pem"),
                        ob::load_private_key(env.env() / "certs/kiosk-decryption.key")};
  CHECK_THROWS_AS(ob::decrypt_then_verify(payload, {&kiosk_key}, ca.get(), nullptr), ob::CryptoError);
}

TEST_CASE("outbox: certificates with the wrong key usage, expired or untrusted are refused with stable codes") {
  const auto ca = ob::make_ca("test CA");
  const auto other_ca = ob::make_ca("other CA");
  const auto signer = ob::make_certificate(ca, {"signer", "critical,nonRepudiation"});
  const auto recipient = ob::make_certificate(ca, {"recipient", "critical,dataEncipherment,keyEncipherment"});
  const auto content = to_bytes("{\"hello\":1}");
  auto code_of = [](auto&& f) {
    try {
      f();
    } catch (const ob::CryptoError& e) {
      return e.code();
    }
    return std::string("none");
  };
  const auto no_nonrepudiation = ob::make_certificate(ca, {"sig2", "critical,digitalSignature"});
  CHECK(code_of([&] { ob::sign_then_encrypt(content, no_nonrepudiation, recipient.certificate.get()); }) ==
        ob::codes::kCertificateWrongUsage);
  const auto no_encipherment = ob::make_certificate(ca, {"enc2", "critical,digitalSignature"});
  CHECK(code_of([&] { ob::sign_then_encrypt(content, signer, no_encipherment.certificate.get()); }) ==
        ob::codes::kCertificateWrongUsage);
  const auto good = ob::sign_then_encrypt(content, signer, recipient.certificate.get());
  CHECK(ob::decrypt_then_verify(good, {&recipient}, ca.certificate.get(), signer.certificate.get()).content == content);
  const auto expired = ob::make_certificate(ca, {"old", "critical,nonRepudiation", -30, -1});
  const auto from_expired = ob::sign_then_encrypt(content, expired, recipient.certificate.get());
  CHECK(code_of([&] { ob::decrypt_then_verify(from_expired, {&recipient}, ca.certificate.get(), nullptr); }) ==
        ob::codes::kCertificateExpired);
  CHECK(code_of([&] { ob::decrypt_then_verify(good, {&recipient}, other_ca.certificate.get(), nullptr); }) ==
        ob::codes::kCertificateUntrusted);
  CHECK(code_of([&] { ob::decrypt_then_verify(good, {&signer}, ca.certificate.get(), nullptr); }) ==
        ob::codes::kCannotDecrypt);
  auto tampered = good;
  tampered[tampered.size() - 20] ^= 0x01;
  CHECK(code_of([&] { ob::decrypt_then_verify(tampered, {&recipient}, ca.certificate.get(), nullptr); }) != "none");
  CHECK(code_of([&] { ob::decrypt_then_verify(to_bytes("not cms"), {&recipient}, ca.certificate.get(), nullptr); }) ==
        ob::codes::kNotParseable);
  // Rollover: the legacy key still opens messages encrypted to the previous certificate.
  const auto next = ob::make_certificate(ca, {"next", "critical,dataEncipherment"});
  const auto opened = ob::decrypt_then_verify(good, {&next, &recipient}, ca.certificate.get(), nullptr);
  CHECK(opened.used_legacy_key);
}

TEST_CASE(
    "outbox: receipts: an accepted one deletes personal data for real and duplicate or unknown or malformed ones are "
    "handled") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  const auto committed = outbox.commit_submission(example(5, 2));
  st::Bytes sealed;
  {
    auto s = outbox.store().db().prepare("SELECT payload FROM outbox WHERE submission_id=?");
    s.bind(1, committed.id);
    REQUIRE(s.step());
    sealed = s.blob(0);
  }
  REQUIRE(sealed.size() > 1000);
  const std::string marker(sealed.begin() + 400, sealed.begin() + 464);  // from the sealed Bundle
  std::string page_marker;
  {
    auto s = outbox.store().db().prepare("SELECT image FROM pages WHERE submission_id=? AND page_no=2");
    s.bind(1, committed.id);
    REQUIRE(s.step());
    const auto image = s.blob(0);
    page_marker.assign(image.begin() + 2000, image.begin() + 2064);
  }
  REQUIRE(outbox.store().checkpoint());
  REQUIRE(store_bytes(env.db()).find(marker) != std::string::npos);
  REQUIRE(store_bytes(env.db()).find(page_marker) != std::string::npos);

  std::string detail;
  CHECK(outbox.apply_receipt(to_bytes("garbage"), &detail) == ob::ReceiptResult::Malformed);
  CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"messageId", "no-such-id"}, {"outcome", "accepted"}})) ==
        ob::ReceiptResult::UnknownMessage);
  CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"hello", "world"}})) == ob::ReceiptResult::Malformed);
  CHECK(outbox.status(committed.reference)->status == ob::Status::Queued);  // nothing lost

  // Encrypted to the legacy certificate during rollover: still accepted.
  const auto receipt = make_receipt(
      env.env(), {{"messageId", committed.id}, {"outcome", "accepted"}, {"platformReference", "HN-1"}}, true);
  CHECK(outbox.apply_receipt(receipt) == ob::ReceiptResult::Accepted);
  CHECK(outbox.apply_receipt(receipt) == ob::ReceiptResult::Duplicate);
  const auto entry = *outbox.status(committed.reference);
  CHECK(entry.status == ob::Status::Accepted);
  CHECK(entry.platform_reference == "HN-1");
  CHECK(entry.personal_data_deleted);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM pages") == 0);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM field_values") == 0);
  CHECK(count(outbox.store(),
              "SELECT COUNT(*) FROM audit_log WHERE action IN ('receipt-malformed','receipt-unknown')") == 3);
  REQUIRE(outbox.store().checkpoint());  // as the delivery worker does after acceptances
  CHECK(store_bytes(env.db()).find(marker) == std::string::npos);
  CHECK(store_bytes(env.db()).find(page_marker) == std::string::npos);
  CHECK(outbox.page_images(committed.reference).empty());
}

TEST_CASE("outbox: rejected receipts, parking after max attempts, staff retry and cancel are audited") {
  DemoEnv env;
  env.config.set("delivery.max_attempts", std::int64_t{3});
  env.config.set("delivery.backoff_initial_ms", std::int64_t{10});
  ob::Outbox outbox(env.config);
  const auto a = outbox.commit_submission(example(1));
  const auto b = outbox.commit_submission(example(2));
  for (int i = 0; i < 3; ++i) outbox.mark_failed(a.id, "broker said no");
  auto entry = *outbox.status(a.reference);
  CHECK(entry.status == ob::Status::Parked);
  CHECK(entry.attempts == 3);
  CHECK(entry.last_error == "broker said no");
  CHECK(outbox.due_messages(st::now_ms() + 100000, 10, {}).size() == 1);  // only b
  outbox.retry(a.reference, "staff-7");
  CHECK(outbox.status(a.reference)->status == ob::Status::Queued);
  CHECK(outbox.status(a.reference)->attempts == 0);

  CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"messageId", b.id},
                                                      {"outcome", "rejected"},
                                                      {"reasonCode", "KIOSK-000021"},
                                                      {"reasonText", "Svarene ble ikke godtatt"}})) ==
        ob::ReceiptResult::Rejected);
  entry = *outbox.status(b.reference);
  CHECK(entry.status == ob::Status::Rejected);
  CHECK(entry.reason_code == "KIOSK-000021");
  CHECK_FALSE(entry.personal_data_deleted);
  outbox.cancel(b.reference, "staff-7");
  CHECK(outbox.status(b.reference)->status == ob::Status::Cancelled);
  CHECK(outbox.status(b.reference)->personal_data_deleted);
  CHECK_THROWS_AS(outbox.retry(b.reference, "staff-7"), ob::OutboxError);
  CHECK(count(outbox.store(),
              "SELECT COUNT(*) FROM audit_log WHERE actor='staff-7' AND action IN ('retry','cancel')") == 2);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='parked'") == 1);
}

TEST_CASE(
    "outbox: a sent message without a receipt in time is sent again, then parked, and a late receipt still counts") {
  DemoEnv env;
  env.config.set("delivery.max_attempts", std::int64_t{2});
  env.config.set("delivery.backoff_initial_ms", std::int64_t{1});
  env.config.set("delivery.receipt_timeout_s", std::int64_t{5});
  ob::Outbox outbox(env.config);
  const auto a = outbox.commit_submission(example(1));
  outbox.mark_sent(a.id);
  CHECK(outbox.status(a.reference)->status == ob::Status::Sent);
  CHECK(outbox.requeue_unanswered(st::now_ms()) == 0);  // still within the 5 s
  CHECK(outbox.requeue_unanswered(st::now_ms() + 6000) == 1);
  auto entry = *outbox.status(a.reference);
  CHECK(entry.status == ob::Status::Queued);
  CHECK(entry.attempts == 1);
  CHECK(entry.last_error.find("no receipt") != std::string::npos);
  CHECK(outbox.due_messages(st::now_ms() + 1000, 10, {}).size() == 1);
  outbox.mark_sent(a.id);
  CHECK(outbox.requeue_unanswered(st::now_ms() + 6000) == 1);
  CHECK(outbox.status(a.reference)->status == ob::Status::Parked);  // staff can see it
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='receipt-overdue'") == 2);
  // The platform answers after all: the receipt is applied.
  CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"messageId", a.id}, {"outcome", "accepted"}})) ==
        ob::ReceiptResult::Accepted);
  CHECK(outbox.status(a.reference)->status == ob::Status::Accepted);
}

TEST_CASE("outbox: a held sheet and the submission it becomes are committed together, and only once") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  st::HeldSheets held(outbox.store());
  st::HeldSheet sheet;
  sheet.form_id = example(1).form_id;
  sheet.source = "desk";
  const auto kept = held.add(sheet, to_bytes("read values"), {ob::make_test_page_png(200, 280, 1)}, "staff-test");
  auto decided = example(1);
  decided.settles_held_sheet = kept.id;
  const auto committed = outbox.commit_submission(decided, "staff-test");
  CHECK(held.list().empty());
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM held_pages") == 0);
  CHECK(outbox.status(committed.reference));
  // Deciding the same sheet again (a second staff tap, a retry after a crash) commits nothing.
  auto again = example(2);
  again.settles_held_sheet = kept.id;
  CHECK_THROWS_AS(outbox.commit_submission(again, "staff-test"), ob::OutboxError);
  CHECK(outbox.list().size() == 1);
}

TEST_CASE("outbox: invalid answers, refused representation and oversized submissions are not committed") {
  DemoEnv env;
  env.config.set("delivery.max_message_bytes", std::int64_t{20000});
  ob::Outbox outbox(env.config);
  auto bad = example(1);
  bad.answers.clear("person.id");
  CHECK_THROWS_AS(outbox.commit_submission(bad), ob::OutboxError);
  auto child = example(2);
  const auto young = forms::make_identity_number({2015, 1, 1}, forms::IdentityKind::SyntheticTest, 510);
  REQUIRE(young);
  child.representation = ob::RepresentationInfo{"power-of-attorney", *young, "", {}};
  CHECK_THROWS_AS(outbox.commit_submission(child), ob::OutboxError);
  auto big = example(3, 2);
  big.pages = {ob::make_test_page_png(1240, 1754, 1), ob::make_test_page_png(1240, 1754, 2)};
  try {
    outbox.commit_submission(big);
    FAIL("committed an oversized submission");
  } catch (const ob::OutboxError& e) {
    CHECK(std::string(e.what()).find("too large") != std::string::npos);
  }
  auto not_png = example(4);
  not_png.pages = {to_bytes("GIF89a....")};
  CHECK_THROWS_AS(outbox.commit_submission(not_png), ob::OutboxError);
  CHECK(outbox.list().empty());
}

TEST_CASE("outbox: a revoked platform certificate (security.crl_file) is refused for sending and in receipts") {
  DemoEnv env;
  const ob::KeyPair ca{ob::load_certificate(env.env() / "certs/ca.pem"),
                       ob::load_private_key(env.env() / "certs/ca.key")};
  const auto platform_signing = ob::load_certificate(env.env() / "certs/platform-signing.pem");
  const auto platform_encryption = ob::load_certificate(env.env() / "certs/platform-encryption.pem");
  auto write_crl = [&](const std::string& name, const std::vector<X509*>& revoked, int valid_days = 30) {
    const fs::path file = env.env() / name;
    std::ofstream(file) << ob::make_crl_pem(ca, revoked, valid_days);
    return file;
  };
  // Nothing revoked: sending and receipts work as without a list.
  env.config.set("security.crl_file", write_crl("none.crl", {}).string());
  {
    ob::Outbox outbox(env.config);
    const auto a = outbox.commit_submission(example(1));
    CHECK(outbox.due_messages(st::now_ms() + 1000, 10, {}).size() == 1);
    CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"messageId", a.id}, {"outcome", "accepted"}})) ==
          ob::ReceiptResult::Accepted);
  }
  // The platform's signing certificate revoked: its receipts are not believed.
  env.config.set("security.crl_file", write_crl("signing.crl", {platform_signing.get()}).string());
  {
    ob::Outbox outbox(env.config);
    const auto b = outbox.commit_submission(example(2));
    std::string detail;
    // Judged with this kiosk's list, which may be wrong: held (kept on the broker), never discarded.
    CHECK(outbox.apply_receipt(make_receipt(env.env(), {{"messageId", b.id}, {"outcome", "accepted"}}), &detail) ==
          ob::ReceiptResult::Held);
    CHECK(detail.find("revoked") != std::string::npos);
    CHECK(outbox.status(b.reference)->status == ob::Status::Queued);  // nothing lost
  }
  // The platform's encryption certificate revoked: nothing is encrypted to it. The commit itself
  // holds no sending credentials (the touch-screen process commits), so it is kept, and waits.
  env.config.set("security.crl_file", write_crl("encryption.crl", {platform_encryption.get()}).string());
  {
    ob::Outbox outbox(env.config);
    const auto c = outbox.commit_submission(example(3));
    try {
      outbox.due_messages(st::now_ms() + 1000, 10, {});
      FAIL("built a message for a revoked platform certificate");
    } catch (const ob::OutboxError& e) {
      CHECK(std::string(e.what()).find("revoked") != std::string::npos);
    }
    CHECK(outbox.status(c.reference)->status == ob::Status::Queued);  // nothing lost
  }
  // An out-of-date list is an error, not a silent pass.
  env.config.set("security.crl_file", write_crl("old.crl", {}, -1).string());
  {
    ob::Outbox outbox(env.config);
    outbox.commit_submission(example(4));
    try {
      outbox.due_messages(st::now_ms() + 1000, 10, {});
      FAIL("sent with an out-of-date revocation list");
    } catch (const ob::OutboxError& e) {
      CHECK(std::string(e.what()).find("out of date") != std::string::npos);
    }
  }
  // The same check on the receiving side of the crypto layer, with the stable code.
  const ob::KeyPair kiosk{ob::load_certificate(env.env() / "certs/kiosk-decryption.pem"),
                          ob::load_private_key(env.env() / "certs/kiosk-decryption.key")};
  const auto crl = ob::load_crl(env.env() / "signing.crl");
  try {
    ob::decrypt_then_verify(make_receipt(env.env(), {{"messageId", "x"}}), {&kiosk}, ca.certificate.get(), nullptr,
                            crl.get());
    FAIL("a message signed with a revoked certificate was accepted");
  } catch (const ob::CryptoError& e) {
    CHECK(e.code() == std::string(ob::codes::kCertificateRevoked));
  }
}

TEST_CASE("outbox: backoff is capped exponential with jitter") {
  for (int attempt = 1; attempt <= 20; ++attempt) {
    std::int64_t lo = INT64_MAX, hi = 0;
    for (std::uint64_t r = 0; r < 2000; r += 7) {
      const auto d = ob::backoff_delay_ms(attempt, 1000, 300000, r * 2654435761ULL);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    const std::int64_t full = std::min<std::int64_t>(300000, 1000LL << std::min(attempt - 1, 30));
    CHECK(lo >= full / 2);
    CHECK(hi <= full);
    CHECK(hi > lo);  // jitter
  }
  CHECK(ob::backoff_delay_ms(100, 1000, 300000, 0) == 150000);
}

TEST_CASE("outbox: the sheet's id is the idempotency key: one submission per sheet, its UUID the same everywhere") {
  // RFC 4122 appendix B's example, as corrected in its errata (the DNS namespace).
  CHECK(ob::name_based_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com") ==
        "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  CHECK_THROWS_AS(ob::name_based_uuid("not-a-uuid", "x"), std::invalid_argument);
  const std::string id = ob::submission_id_for_sheet("0123456789abcdef0123456789abcdef");
  CHECK(id == ob::submission_id_for_sheet("0123456789abcdef0123456789abcdef"));
  CHECK(id != ob::submission_id_for_sheet("0123456789abcdef0123456789abcdee"));
  CHECK(id.size() == 36);
  CHECK(id[14] == '5');  // version 5
  for (const std::string& bad : std::vector<std::string>{"", "has space", "slash/in/it", std::string(65, 'a'), "æøå"}) {
    CHECK_THROWS_AS(ob::submission_id_for_sheet(bad), ob::OutboxError);
  }

  DemoEnv env;
  ob::Outbox outbox(env.config);
  auto s = example(1, 1);
  s.sheet_id = "0123456789abcdef0123456789abcdef";
  const auto first = outbox.commit_submission(s);
  CHECK(!first.sent_before);
  CHECK(first.id == id);
  // The same sheet again, read differently this time: the first commit stands.
  auto again = example(2, 1);
  again.sheet_id = s.sheet_id;
  const auto second = outbox.commit_submission(again, "kiosk");
  CHECK(second.sent_before);
  CHECK(second.id == first.id);
  CHECK(second.reference == first.reference);
  // Even when the answers read the second time would not be valid.
  auto broken = again;
  broken.answers = {};
  CHECK(outbox.commit_submission(broken).reference == first.reference);
  CHECK(outbox.list().size() == 1);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='commit-again'") == 2);
  // Without a sheet id (a form filled on screen and never printed) every commit is its own.
  const auto a = outbox.commit_submission(example(3));
  const auto b = outbox.commit_submission(example(3));
  CHECK(a.id != b.id);
  CHECK(outbox.list().size() == 3);
  // The store refuses a second row for a sheet, whoever writes it.
  CHECK_THROWS_AS(outbox.store().db().exec("UPDATE submissions SET sheet_id='0123456789abcdef0123456789abcdef' "
                                           "WHERE id='" +
                                           a.id + "'"),
                  st::StoreError);
  // The message-id and the Bundle's identifier are the sheet's UUID.
  ob::KeyPair platform{ob::load_certificate(env.env() / "certs/platform-encryption.pem"),
                       ob::load_private_key(env.env() / "certs/platform-encryption.key")};
  const auto ca = ob::load_certificate(env.env() / "certs/ca.pem");
  int seen = 0;
  for (const auto& m : outbox.due_messages(st::now_ms() + 1000, 10, {})) {
    if (m.id != id) continue;
    ++seen;
    const auto opened = ob::decrypt_then_verify(m.payload, {&platform}, ca.get(), nullptr);
    CHECK(ob::read_bundle(json::parse(opened.content.begin(), opened.content.end())).submission_id == id);
  }
  CHECK(seen == 1);
}

namespace {
// Everything in a JSON value, depth first.
template <typename Visit>
void walk(const json& j, Visit visit) {
  visit(j);
  if (j.is_object() || j.is_array())
    for (const auto& child : j) walk(child, visit);
}
}  // namespace

TEST_CASE("outbox: Bundles of every representation type follow the FHIR rules a receiving system checks") {
  const auto rules = forms::RepresentationRules::load(forms::assets_dir() / "representation.json");
  REQUIRE(rules.types.size() >= 5);
  // One identity number of each kind, and the OID each must be tagged with.
  // (Individual numbers chosen so that each has valid check digits.)
  const auto fnr_made = forms::make_identity_number({1980, 3, 1}, forms::IdentityKind::Fodselsnummer, 123);
  const auto dnr_made = forms::make_identity_number({1979, 5, 2}, forms::IdentityKind::DNummer, 450);
  const auto hnr_made = forms::make_identity_number({2001, 7, 3}, forms::IdentityKind::HNummer, 780);
  REQUIRE(fnr_made);
  REQUIRE(dnr_made);
  REQUIRE(hnr_made);
  const std::string fnr = *fnr_made, dnr = *dnr_made, hnr = *hnr_made;
  const std::map<std::string, std::string> oid = {{fnr, "urn:oid:2.16.578.1.12.4.1.4.1"},
                                                  {dnr, "urn:oid:2.16.578.1.12.4.1.4.2"},
                                                  {hnr, "urn:oid:2.16.578.1.12.4.1.4.3"}};
  const std::regex uuid_urn("urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const ob::Bytes pdf = ob::pages_to_pdf({ob::make_test_page_png(620, 877, 3)});
  static const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  // Each form as the platform registers it (forms export): the Bundle's answers must name the
  // same code system as its answerOption, and the form's limits are standard FHIR.
  std::map<std::string, json> exported;
  int coded_answers = 0, max_lengths = 0, types_seen = 0;
  for (const auto& f : catalogue.forms()) {
    INFO(f.id);
    const json source = json::parse(read_text(f.source));
    const json q = forms::platform_questionnaire(source, f.source.string());
    CHECK(q.dump().find(std::string(forms::kKioskExtensionBase) + "max-length") == std::string::npos);
    walk(q, [&](const json& j) {
      if (!j.is_object()) return;
      if (j.contains("answerOption"))
        for (const auto& o : j["answerOption"]) {
          CHECK_MESSAGE(o["valueCoding"].contains("system"), o.dump());
          CHECK(o["valueCoding"].value("system", std::string()).rfind("http", 0) == 0);
        }
      if (j.contains("answerCoding")) CHECK_MESSAGE(j["answerCoding"].contains("system"), j.dump());
      if (j.contains("maxLength")) {
        ++max_lengths;
        const forms::Item* item = f.find_item(j["linkId"]);
        REQUIRE(item);
        CHECK(j["maxLength"] == item->max_length);
      }
    });
    // The exported form reads back as the same form (the kiosk parses maxLength as well).
    const auto reparsed = forms::parse_questionnaire(q, "export");
    for (const forms::Item* item : f.all_items()) {
      const forms::Item* again = reparsed.find_item(item->link_id);
      REQUIRE(again);
      CHECK(again->max_length == item->max_length);
      for (size_t i = 0; i < item->options.size(); ++i) CHECK(again->options[i].system == item->options[i].system);
    }
    exported[f.id] = q;
  }
  CHECK(max_lengths >= 30);
  // The answerOption codings of each question of a form, by linkId: system|code.
  auto options_of = [&](const std::string& form_id) {
    std::map<std::string, std::set<std::string>> options;
    walk(exported.at(form_id), [&](const json& j) {
      if (j.is_object() && j.contains("answerOption"))
        for (const auto& o : j["answerOption"])
          options[j["linkId"]].insert(o["valueCoding"]["system"].get<std::string>() + "|" +
                                      o["valueCoding"]["code"].get<std::string>());
    });
    return options;
  };
  for (const auto& type : rules.types)
    for (const auto& f : catalogue.forms()) {
      if (!f.allows_representation(type.code)) continue;
      INFO(type.code, " ", f.id);
      ++types_seen;
      const auto answers = forms::make_example_answers(f, 5);
      ob::BundleInput in;
      in.submission_id = ob::submission_id_for_sheet("sheet-" + std::to_string(types_seen));
      in.reference = "HK-TEST-0001";
      in.timestamp = "2026-12-07T10:00:00Z";
      in.form = &f;
      in.answers = &answers;
      in.pages_pdf = pdf;
      in.kiosk_id = "kiosk-0001";
      in.site_name = "Testbiblioteket";
      in.kiosk_her_id = "8142519";
      in.platform_her_id = "8093240";
      in.assisted_by = "1001";
      if (type.code != "self") in.representation = ob::RepresentationInfo{type.code, dnr, hnr, type.evidence};
      const json bundle = json::parse(ob::build_bundle_text(in));
      // Every fullUrl a real UUID (no suffix), every urn:uuid reference resolves inside the Bundle.
      std::set<std::string> full_urls;
      for (const auto& entry : bundle["entry"]) {
        const std::string url = entry["fullUrl"];
        CHECK_MESSAGE(std::regex_match(url, uuid_urn), url);
        CHECK(entry["resource"]["id"] == url.substr(9));
        full_urls.insert(url);
      }
      CHECK(full_urls.size() == bundle["entry"].size());
      int references = 0, identities = 0;
      walk(bundle, [&](const json& j) {
        if (!j.is_object()) return;
        if (j.contains("reference")) {
          ++references;
          CHECK_MESSAGE(full_urls.count(j["reference"].get<std::string>()) == 1, j.dump());
        }
        // Each identity number tagged with its own kind's OID (D- and H-numbers too).
        if (j.contains("system") && j.contains("value") && j["value"].is_string() && oid.count(j["value"])) {
          ++identities;
          CHECK_MESSAGE(j["system"] == oid.at(j["value"]), j.dump());
        }
      });
      CHECK(references >= 3);
      CHECK(identities >= (type.code == "self" ? 0 : 2));
      const std::string text = bundle.dump();
      CHECK(text.find("urn:her-id") == std::string::npos);
      CHECK(text.find("-mh\"") == std::string::npos);
      // Endpoints are the HER-ids' OIDs; sender and receiver identified by the HER-id system.
      const json& header = bundle["entry"][0]["resource"];
      CHECK(header["source"]["endpoint"] == "urn:oid:2.16.578.1.12.4.1.2.8142519");
      CHECK(header["destination"][0]["endpoint"] == "urn:oid:2.16.578.1.12.4.1.2.8093240");
      CHECK(header["destination"][0]["receiver"]["identifier"]["system"] == "urn:oid:2.16.578.1.12.4.1.2");
      CHECK(header["sender"]["identifier"]["value"] == "8142519");
      // Attachment.hash is the SHA-1 of the data (R4); the SHA-256 is in the extension.
      const json& attachment = bundle["entry"][2]["resource"]["content"][0]["attachment"];
      CHECK(attachment["hash"] == ob::base64(ob::sha1(pdf)));
      CHECK(attachment["extension"][0]["url"] == ob::kSha256Extension);
      CHECK(attachment["extension"][0]["valueBase64Binary"] == ob::sha256_base64(pdf));
      CHECK(bundle["identifier"]["value"] == in.submission_id);
      // Every coded answer names its code system: the one of the exported form's answerOption.
      const auto options = options_of(f.id);
      std::function<void(const json&)> answers_in = [&](const json& items) {
        for (const auto& item : items) {
          for (const auto& a : item.value("answer", json::array()))
            if (a.contains("valueCoding")) {
              ++coded_answers;
              const json& c = a["valueCoding"];
              CHECK_MESSAGE(c.contains("system"), c.dump());
              const auto known = options.find(item["linkId"]);
              REQUIRE(known != options.end());
              CHECK_MESSAGE(
                  known->second.count(c.value("system", std::string()) + "|" + c["code"].get<std::string>()) == 1,
                  c.dump());
            }
          if (item.contains("item")) answers_in(item["item"]);
        }
      };
      answers_in(bundle["entry"][1]["resource"]["item"]);
      // The receiver reads it back: the answers too.
      const auto summary = ob::read_bundle(bundle);
      CHECK(summary.pdf == pdf);
      CHECK(summary.pdf_sha256 == ob::sha256_base64(pdf));
      CHECK(forms::parse_answers(summary.questionnaire_response, f, "Bundle").values == answers.values);
    }
  CHECK(coded_answers >= 50);
  CHECK(types_seen >= static_cast<int>(rules.types.size()));
  for (const auto& [number, system] : oid) CHECK(ob::identity_system(number) == system);
}

TEST_CASE("outbox: a row is claimed by one worker at a time - released, run out, or taken from a worker that is gone") {
  DemoEnv env;
  env.config.set("delivery.backoff_initial_ms", std::int64_t{5000});
  ob::Outbox a(env.config), b(env.config);  // two workers on one store
  CHECK(a.worker_id() != b.worker_id());
  const auto first = a.commit_submission(example(1));
  const auto second = a.commit_submission(example(2));
  const std::int64_t now = st::now_ms() + 1000;
  const std::int64_t later = st::now_ms() + 20000;  // after any backoff
  // A claims both; B finds nothing to send while A holds them (A is alive: this process).
  CHECK(a.load_due(now, 10, {}).size() == 2);
  CHECK(b.load_due(now, 10, {}).empty());
  // A failed attempt is counted once, by the holder, and gives the row up.
  b.mark_failed(first.id, "not B's to count");
  CHECK(b.status(first.reference)->attempts == 0);
  a.mark_failed(first.id, "the broker went away");
  CHECK(a.status(first.reference)->attempts == 1);
  CHECK(b.load_due(later, 10, {}).size() == 1);  // the failed one, after its backoff
  // A gives up its claims (it lost the broker): B may send them.
  a.release_leases();
  CHECK(b.load_due(later, 10, {}).size() == 2);
  // A lease runs out: another worker takes the row.
  a.store().db().exec("UPDATE outbox SET lease_owner='elsewhere/1/x', lease_until=1");
  CHECK(a.load_due(later, 10, {}).size() == 2);
  // A worker on this machine that is gone (kill -9): its claims are taken over at once, without
  // waiting for them to run out. One on another machine is waited for.
  pid_t gone = 4000000;
  while (::kill(gone, 0) == 0 || errno != ESRCH) ++gone;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string dead = std::string(host) + "/" + std::to_string(gone) + "/dead";
  a.store()
      .db()
      .prepare("UPDATE outbox SET lease_owner=?, lease_until=?")
      .bind(1, dead)
      .bind(2, st::now_ms() + 3600000)
      .run();
  ob::Outbox c(env.config);
  CHECK(c.load_due(later, 10, {}).size() == 2);
  a.store()
      .db()
      .prepare("UPDATE outbox SET lease_owner='another-host/1/x', lease_until=?")
      .bind(1, st::now_ms() + 3600000)
      .run();
  ob::Outbox d(env.config);
  CHECK(d.load_due(later, 10, {}).empty());
  CHECK(count(a.store(), "SELECT COUNT(*) FROM audit_log WHERE action='lease-taken-over'") == 1);
}

TEST_CASE(
    "outbox: rejected, parked and held data expire after store.undelivered_retention_days, warned a week before") {
  DemoEnv env;
  env.config.set("store.undelivered_retention_days", std::int64_t{30});
  ob::Outbox outbox(env.config);
  const auto rejected = outbox.commit_submission(example(1, 1));
  const auto parked = outbox.commit_submission(example(2));
  const auto queued = outbox.commit_submission(example(3));
  CHECK(outbox.apply_receipt(make_receipt(
            env.env(), {{"messageId", rejected.id}, {"outcome", "rejected"}, {"reasonCode", "KIOSK-000021"}})) ==
        ob::ReceiptResult::Rejected);
  for (int i = 0; i < 10; ++i)
    outbox.mark_failed(parked.id, "the broker released the message", ob::FailureCause::Other);
  REQUIRE(outbox.status(parked.reference)->status == ob::Status::Parked);
  st::HeldSheets held(outbox.store());
  st::HeldSheet sheet;
  sheet.form_id = kForm;
  sheet.source = "kiosk";
  held.add(sheet, to_bytes("read values"), {ob::make_test_page_png(200, 280, 1)}, "kiosk");
  auto age = [&](int days) {
    const std::string at = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-" + std::to_string(days) + " days')";
    outbox.store().db().exec("UPDATE outbox SET finished_at=" + at +
                             " WHERE status='rejected'; UPDATE outbox SET "
                             "updated_at=" +
                             at +
                             " WHERE status IN ('parked','queued'); UPDATE held_sheets SET "
                             "created_at=" +
                             at);
  };
  // Young: kept, and the doctor is quiet.
  CHECK(outbox.purge_expired() == 0);
  CHECK(kiosk::admin::check_retention(env.config).status == kiosk::admin::CheckStatus::Ok);
  // 25 days old: deleted within the week; the admin is warned, with the numbers.
  age(25);
  CHECK(outbox.purge_expired() == 0);
  const auto warning = kiosk::admin::check_retention(env.config);
  CHECK(warning.status == kiosk::admin::CheckStatus::Warning);
  CHECK_MESSAGE(warning.message.find("1 rejected, 1 parked and 1 held-for-review") != std::string::npos,
                warning.message);
  // 31 days old: the delivery worker's sweep deletes the personal data, audited.
  age(31);
  CHECK(outbox.purge_expired() == 3);
  CHECK(outbox.status(rejected.reference)->status == ob::Status::Rejected);
  CHECK(outbox.status(rejected.reference)->personal_data_deleted);
  CHECK(outbox.page_images(rejected.reference).empty());
  CHECK(outbox.status(parked.reference)->status == ob::Status::Cancelled);
  CHECK(outbox.status(parked.reference)->personal_data_deleted);
  CHECK(outbox.status(parked.reference)->last_error.find("Expired") == 0);
  CHECK(held.list().empty());
  // Still being sent (queued): never expired, whatever its age.
  CHECK(outbox.status(queued.reference)->status == ob::Status::Queued);
  CHECK_FALSE(outbox.status(queued.reference)->personal_data_deleted);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='expired'") == 3);
  CHECK(outbox.purge_expired() == 0);  // once
  CHECK(kiosk::admin::check_retention(env.config).status == kiosk::admin::CheckStatus::Ok);
}

TEST_CASE(
    "outbox: a receipt that cannot be decrypted here (key file missing) is held, and applies once the key is back") {
  DemoEnv env;
  ob::Outbox outbox(env.config);
  const auto committed = outbox.commit_submission(example(1));
  const auto receipt =
      make_receipt(env.env(), {{"messageId", committed.id}, {"outcome", "accepted"}, {"platformReference", "HN-1"}});
  const fs::path key = env.env() / "certs/kiosk-decryption.key", aside = env.env() / "kiosk-decryption.key.aside";
  fs::rename(key, aside);
  std::string detail;
  CHECK(outbox.apply_receipt(receipt, &detail) == ob::ReceiptResult::Held);
  CHECK_MESSAGE(detail.find("kiosk-decryption.key") != std::string::npos, detail);
  CHECK(outbox.status(committed.reference)->status == ob::Status::Queued);
  CHECK(count(outbox.store(), "SELECT COUNT(*) FROM audit_log WHERE action='receipt-held'") == 1);
  // Without the key nothing can be judged, so even garbage is held (and refused once the key is back).
  CHECK(outbox.apply_receipt(to_bytes("garbage")) == ob::ReceiptResult::Held);
  fs::rename(aside, key);
  outbox.reload_credentials();
  CHECK(outbox.apply_receipt(to_bytes("garbage")) == ob::ReceiptResult::Malformed);  // not CMS: nobody can read it
  CHECK(outbox.apply_receipt(receipt) == ob::ReceiptResult::Accepted);
  CHECK(outbox.status(committed.reference)->platform_reference == "HN-1");
}

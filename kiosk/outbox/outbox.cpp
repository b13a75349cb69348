#include "outbox/outbox.hpp"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <map>
#include <string_view>
#include <thread>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/representation.hpp"
#include "outbox/amqp.hpp"
#include "outbox/crypto.hpp"
#include "outbox/error_codes.hpp"
#include "outbox/health.hpp"
#include "outbox/pdf.hpp"
#include "store/held_sheets.hpp"

namespace kiosk::outbox {

using nlohmann::json;
using store::Statement;
using store::Transaction;

std::string to_string(Status status) {
  switch (status) {
    case Status::Queued:
      return "queued";
    case Status::Sent:
      return "sent";
    case Status::Accepted:
      return "accepted";
    case Status::Rejected:
      return "rejected";
    case Status::Parked:
      return "parked";
    case Status::Cancelled:
      return "cancelled";
  }
  return "queued";
}

std::optional<Status> status_from_string(const std::string& text) {
  for (Status s : {Status::Queued, Status::Sent, Status::Accepted, Status::Rejected, Status::Parked, Status::Cancelled})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string to_string(ReceiptResult result) {
  switch (result) {
    case ReceiptResult::Accepted:
      return "accepted";
    case ReceiptResult::Rejected:
      return "rejected";
    case ReceiptResult::Duplicate:
      return "duplicate";
    case ReceiptResult::UnknownMessage:
      return "unknown-message";
    case ReceiptResult::Malformed:
      return "malformed";
    case ReceiptResult::Held:
      return "held";
    case ReceiptResult::Withdrawal:
      return "withdrawal";
  }
  return "malformed";
}

std::string to_string(FailureCause cause) {
  switch (cause) {
    case FailureCause::Broker:
      return "broker";
    case FailureCause::Credentials:
      return "credentials";
    case FailureCause::Receipt:
      return "receipt";
    case FailureCause::Other:
      break;
  }
  return "other";
}

std::int64_t backoff_delay_ms(int attempt, std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t random) {
  if (attempt < 1) attempt = 1;
  std::int64_t delay = std::max<std::int64_t>(initial_ms, 1);
  for (int i = 1; i < attempt && delay < max_ms; ++i) delay *= 2;
  delay = std::min(delay, max_ms);
  const std::int64_t half = delay / 2;
  return half + static_cast<std::int64_t>(random % static_cast<std::uint64_t>(delay - half + 1));
}

Settings Settings::from_config(const kiosk::Config& config) {
  Settings s;
  s.kiosk_id = config.get_string("site.kiosk_id");
  s.site_name = config.get_string("site.name");
  s.kiosk_her_id = config.get_string("broker.kiosk_her_id");
  s.platform_her_id = config.get_string("broker.platform_her_id");
  s.broker_url = config.get_string("broker.url");
  s.platform_address = queue_address(config, config.get_string("broker.platform_queue"));
  s.reply_address = queue_address(config, config.get_string("broker.reply_queue"));
  s.cpa_id = config.get_string("broker.cpa_id");
  s.retention_days = config.get_int("store.retention_days");
  s.undelivered_retention_days = config.get_int("store.undelivered_retention_days");
  s.max_attempts = std::max<std::int64_t>(1, config.get_int("delivery.max_attempts"));
  s.backoff_initial_ms = config.get_int("delivery.backoff_initial_ms");
  s.backoff_max_ms = std::max(config.get_int("delivery.backoff_max_ms"), s.backoff_initial_ms);
  s.max_message_bytes = config.get_int("delivery.max_message_bytes");
  s.receipt_timeout_ms = std::max<std::int64_t>(1, config.get_int("delivery.receipt_timeout_s")) * 1000;
  return s;
}

namespace {

std::string new_uuid() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return uuid_text(b);
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// "host/pid/random": unique per Outbox, and says which process on which machine holds a lease.
std::string make_worker_id() {
  unsigned char r[4];
  randombytes_buf(r, sizeof r);
  static const char* hex = "0123456789abcdef";
  std::string tail;
  for (unsigned char c : r) {
    tail += hex[c >> 4];
    tail += hex[c & 15];
  }
  return this_host() + "/" + std::to_string(::getpid()) + "/" + tail;
}

// True when `owner` names a process on this machine that no longer exists (it crashed or was
// killed): its leases can be taken over without waiting for them to run out. A process of
// another machine, or one we cannot tell about, counts as alive.
bool lease_owner_gone(const std::string& owner, const std::string& host) {
  const auto a = owner.find('/');
  const auto b = owner.find('/', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos || owner.compare(0, a, host) != 0 || a != host.size())
    return false;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(owner.substr(a + 1, b - a - 1)));
  } catch (const std::exception&) {
    return false;
  }
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The namespace of sheet ids (RFC 4122 section 4.3): a fixed random UUID, never to change, or
// the same sheet would get another submission id after an update.
constexpr const char* kSheetNamespace = "6b1f0e52-943d-4c8a-a107-2e5cd3489f71";

// Short, unambiguous (Crockford base32, no I L O U), easy to read aloud.
std::string new_reference() {
  static const char* alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out = "HK-";
  for (int i = 0; i < 8; ++i) {
    if (i == 4) out += '-';
    out += alphabet[randombytes_uniform(32)];
  }
  return out;
}

bool valid_sheet_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
  });
}

std::filesystem::path require_path(const kiosk::Config& config, const std::string& key) {
  const std::string& value = config.get_string(key);
  if (value.empty())
    throw OutboxError(OutboxError::Kind::Unavailable, "The configuration does not name " + key +
                                                          ". Set it (kioskctl demo-env writes a complete example).");
  return value;
}

// outbox.payload holds either the message as it is sent (CMS DER: starts with 0x30) or,
// until the delivery worker has built that, the committed Bundle with a placeholder for
// the pages' PDF, sealed with the store key (starts with this marker). The pages
// themselves are in the pages table.
constexpr std::string_view kTemplateMarker = "KIOSK-BUNDLE-TEMPLATE-1\n";
// Signature, signer certificate, recipient info and padding around the Bundle: generous,
// so that a commit refuses what could not be sent; the built message is checked again.
constexpr size_t kCmsOverheadBytes = 16 * 1024;

std::string template_context(const std::string& submission_id) {
  return "bundle:" + submission_id;
}

Bytes seal_template(const store::SecretBox& box, const std::string& submission_id, const std::string& text) {
  Bytes out(kTemplateMarker.begin(), kTemplateMarker.end());
  const Bytes sealed = box.seal(text, template_context(submission_id));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

bool is_template(const Bytes& payload) {
  return payload.size() >= kTemplateMarker.size() &&
         std::equal(kTemplateMarker.begin(), kTemplateMarker.end(), payload.begin());
}

// Runs work(i) for i in [0, n) on up to two threads (the kiosk has two cores).
template <typename Work>
void run_in_parallel(size_t n, Work work) {
  const size_t threads = std::min<size_t>({n, 2, std::max(1u, std::thread::hardware_concurrency())});
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) work(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < n; i = next++) work(i);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(loop);
  loop();
  for (auto& h : helpers) h.join();
}

// The message-id a submission is sent under now.
#define KIOSK_CURRENT_MESSAGE_ID(s)                                                                                    \
  "COALESCE((SELECT m.message_id FROM message_ids m WHERE m.submission_id=" s ".id ORDER BY m.rowid DESC LIMIT 1), " s \
  ".id)"

const char* kEntryColumns =
    "s.id, s.reference, s.form_id, s.representation_type, o.status, o.attempts, s.created_at, o.updated_at, "
    "o.next_attempt_at, COALESCE(o.last_error,''), s.personal_deleted_at IS NOT NULL, "
    "(SELECT COALESCE(platform_reference,'') FROM receipts r WHERE r.submission_id=s.id ORDER BY r.id DESC LIMIT 1), "
    "(SELECT COALESCE(reason_code,'') FROM receipts r WHERE r.submission_id=s.id ORDER BY r.id DESC LIMIT 1), "
    "(SELECT COALESCE(reason_text,'') FROM receipts r WHERE r.submission_id=s.id ORDER BY r.id DESC LIMIT 1), "
    "(SELECT w.status FROM withdrawals w WHERE w.submission_id=s.id ORDER BY w.rowid DESC LIMIT "
    "1), " KIOSK_CURRENT_MESSAGE_ID("s") " FROM submissions s JOIN outbox o ON o.submission_id = s.id ";

Entry read_entry(const Statement& st) {
  Entry e;
  e.id = st.text(0);
  e.reference = st.text(1);
  e.form_id = st.text(2);
  e.representation_type = st.text(3);
  e.status = status_from_string(st.text(4)).value_or(Status::Queued);
  e.attempts = static_cast<int>(st.integer(5));
  e.created_at = st.text(6);
  e.updated_at = st.text(7);
  e.next_attempt_at_ms = st.integer(8);
  e.last_error = st.text(9);
  e.personal_data_deleted = st.integer(10) != 0;
  e.platform_reference = st.text(11);
  e.reason_code = st.text(12);
  e.reason_text = st.text(13);
  e.withdrawal = st.is_null(14) ? "" : st.text(14);
  e.message_id = st.text(15);
  return e;
}

}  // namespace

std::string submission_id_for_sheet(const std::string& sheet_id) {
  if (!valid_sheet_id(sheet_id))
    throw OutboxError(OutboxError::Kind::BadInput, "The sheet id \"" + sheet_id +
                                                       "\" is not one the kiosk prints (letters, digits, '.', '_' or "
                                                       "'-', at most 64).");
  return name_based_uuid(kSheetNamespace, sheet_id);
}

struct Outbox::Impl {
  kiosk::Config config;
  store::Store store;
  forms::Catalogue catalogue;
  forms::RepresentationRules rules;
  // Loaded on first use, so listing the queue works without certificates.
  std::optional<KeyPair> signer;
  X509Ptr platform_encryption;
  std::optional<KeyPair> decryption, legacy_decryption;
  X509Ptr platform_signing, ca;
  CrlPtr revocation_list;  // security.crl_file, when set
  store::StatementCache statements;
  std::string host = this_host();
  std::string worker_id = make_worker_id();
  std::int64_t next_lease_sweep_ms = 0;

  Impl(const kiosk::Config& c)
      : config(c),
        store(store::Store::open(c.get_path("store.path"), c.get_path("store.key_file"))),
        catalogue(forms::Catalogue::load_directory(forms::assets_dir() / "forms")),
        rules(forms::RepresentationRules::load(forms::assets_dir() / "representation.json")),
        statements(store.db()) {}

  void load_sending_credentials() {
    if (signer) return;
    try {
      KeyPair pair{load_certificate(require_path(config, "security.signing_certificate")),
                   load_private_key(require_path(config, "security.signing_key"))};
      platform_encryption = load_certificate(require_path(config, "security.platform_encryption_certificate"));
      load_revocation_list();
      if (revocation_list)
        check_not_revoked(platform_encryption.get(), revocation_list.get(), ca.get(),
                          "The platform's encryption certificate");
      signer = std::move(pair);
    } catch (const CryptoError& e) {
      throw OutboxError(OutboxError::Kind::Unavailable, e.what());
    }
  }

  // Without network access the CRL is a file, read once per Outbox (a restart reads a new one).
  void load_revocation_list() {
    if (revocation_list || config.get_string("security.crl_file").empty()) return;
    ca = load_certificate(require_path(config, "security.ca_certificate"));
    revocation_list = load_crl(config.get_path("security.crl_file"));
  }

  void load_receiving_credentials() {
    if (decryption) return;
    try {
      KeyPair current{load_certificate(require_path(config, "security.decryption_certificate")),
                      load_private_key(require_path(config, "security.decryption_key"))};
      if (!config.get_string("security.legacy_decryption_key").empty())
        legacy_decryption = KeyPair{load_certificate(require_path(config, "security.legacy_decryption_certificate")),
                                    load_private_key(config.get_path("security.legacy_decryption_key"))};
      platform_signing = load_certificate(require_path(config, "security.platform_signing_certificate"));
      ca = load_certificate(require_path(config, "security.ca_certificate"));
      load_revocation_list();
      decryption = std::move(current);
    } catch (const CryptoError& e) {
      throw OutboxError(OutboxError::Kind::Unavailable, e.what());
    }
  }

  // The Bundle as sent: the sealed template opened with the store key, the sealed pages' PDF spliced in.
  std::string open_bundle(const std::string& id, const Bytes& stored,
                          const std::vector<std::pair<int, Bytes>>& pages) const {
    const Bytes sealed(stored.begin() + static_cast<std::ptrdiff_t>(kTemplateMarker.size()), stored.end());
    std::string text = store.box().open_text(sealed, template_context(id));
    std::vector<Bytes> images;
    for (const auto& [page_no, image] : pages) images.push_back(store.box().open(image, page_context(id, page_no)));
    return fill_bundle_template(std::move(text), pages_to_pdf(images));
  }

  // Builds the message to send from a committed submission: the sealed Bundle template
  // and the sealed pages (as PDF, checked against the size and SHA-256 in the Bundle),
  // signed by the kiosk and encrypted for the platform. Touches no database, so several
  // can run at once. Throws on damaged data, certificate problems or a too large message.
  Bytes prepare_message(const std::string& id, const Bytes& stored, const std::vector<std::pair<int, Bytes>>& pages,
                        const Settings& settings) const {
    if (!signer) throw OutboxError(OutboxError::Kind::Other, "the sending credentials are not loaded");
    const std::string text = open_bundle(id, stored, pages);
    Bytes payload = sign_then_encrypt(Bytes(text.begin(), text.end()), *signer, platform_encryption.get());
    if (static_cast<std::int64_t>(payload.size()) > settings.max_message_bytes)
      throw OutboxError(OutboxError::Kind::BadInput, "the message is " + std::to_string(payload.size() / 1024) +
                                                         " KiB, above delivery.max_message_bytes");
    return payload;
  }

  // Resolves a reference ("HK-...") or id to the submission id.
  std::string resolve(const std::string& reference_or_id) {
    auto st = store.db().prepare("SELECT id FROM submissions WHERE reference=? OR id=?");
    st.bind(1, reference_or_id).bind(2, reference_or_id);
    if (!st.step())
      throw OutboxError(OutboxError::Kind::NotFound, "There is no submission with reference " + reference_or_id + ".");
    return st.text(0);
  }

  // The submission a sheet id was committed as, if any.
  std::optional<Committed> committed_sheet(const std::string& sheet_id) {
    auto st = statements.get("SELECT id, reference FROM submissions WHERE sheet_id=?");
    st->bind(1, sheet_id);
    if (!st->step()) return std::nullopt;
    return Committed{st->text(0), st->text(1), true};
  }

  // The sheet was committed before: its first reference is the answer. A held copy of it that
  // staff decided to send is settled by this too (it must not stay in the review queue).
  Committed sent_before(Committed earlier, const NewSubmission& submission, const std::string& actor) {
    Transaction tx(store.db());
    if (!submission.settles_held_sheet.empty())
      store::HeldSheets(store).remove_in_transaction(submission.settles_held_sheet);
    store.audit(actor, "commit-again", earlier.reference, "the sheet was committed before; not sent again");
    tx.commit();
    return earlier;
  }

  // Applies one decoded receipt inside the caller's transaction.
  ReceiptResult apply_decoded_receipt(const json& receipt, const std::string& error, const Settings& settings,
                                      std::string& detail) {
    auto report = [&](ReceiptResult result, const std::string& text) {
      detail = text;
      return result;
    };
    if (!error.empty()) {
      store.audit("delivery", "receipt-malformed", "", error);
      return report(ReceiptResult::Malformed, error);
    }
    const std::string message_id = receipt.value("messageId", "");
    const std::string outcome = receipt.value("outcome", "");
    if (auto answered = apply_withdrawal_answer(receipt, message_id, outcome, detail)) return *answered;
    std::string reference, submission_id, current_message_id;
    Status current = Status::Queued;
    {
      auto st = statements.get("SELECT s.id, s.reference, o.status, " KIOSK_CURRENT_MESSAGE_ID(
          "s") " FROM submissions s JOIN outbox o ON "
               "o.submission_id=s.id WHERE s.id=?1 OR s.id=(SELECT submission_id FROM message_ids WHERE "
               "message_id=?1)");
      st->bind(1, message_id);
      if (!st->step()) {
        store.audit("delivery", "receipt-unknown", "", "message-id " + message_id);
        return report(ReceiptResult::UnknownMessage, "no submission with message-id " + message_id);
      }
      submission_id = st->text(0);
      reference = st->text(1);
      current = status_from_string(st->text(2)).value_or(Status::Queued);
      current_message_id = st->text(3);
    }
    if (outcome != "accepted" && outcome != "rejected") {
      store.audit("delivery", "receipt-malformed", reference, "unknown outcome");
      return report(ReceiptResult::Malformed, "unknown outcome \"" + outcome + "\"");
    }
    const std::string now = store::now_iso();
    auto record = [&] {
      statements
          .get(
              "INSERT INTO receipts(submission_id, received_at, outcome, platform_reference, reason_code, "
              "reason_text) VALUES(?,?,?,?,?,?)")
          ->bind(1, submission_id)
          .bind(2, now)
          .bind(3, outcome)
          .bind(4, receipt.value("platformReference", ""))
          .bind(5, receipt.value("reasonCode", ""))
          .bind(6, receipt.value("reasonText", ""))
          .run();
    };
    if (message_id != current_message_id) {
      // An answer to a message this submission was sent as before it was rejected and sent again.
      if (outcome == "rejected") return report(ReceiptResult::Duplicate, reference + " " + message_id + " rejected");
      record();
      store.audit("platform", "receipt-late", reference, outcome + " for the earlier message-id " + message_id);
      return report(ReceiptResult::Duplicate, reference + " " + outcome + " for an earlier message-id");
    }
    if (current == Status::Cancelled ||
        ((current == Status::Accepted || current == Status::Rejected) && outcome != to_string(current))) {
      // The platform's word after the kiosk had settled otherwise: kept and audited for staff,
      // never dropped (the platform may act on it).
      record();
      store.audit("platform", "receipt-late", reference,
                  outcome + " received while " + to_string(current) + " " +
                      receipt.value("platformReference", receipt.value("reasonCode", "")));
      return report(ReceiptResult::Duplicate, reference + " " + outcome + " after it was " + to_string(current));
    }
    if (current == Status::Accepted || current == Status::Rejected)
      return report(ReceiptResult::Duplicate, reference + " already " + to_string(current));
    const bool accepted = outcome == "accepted";
    record();
    statements.get("UPDATE outbox SET status=?, finished_at=?, updated_at=? WHERE submission_id=?")
        ->bind(1, accepted ? "accepted" : "rejected")
        .bind(2, now)
        .bind(3, now)
        .bind(4, submission_id)
        .run();
    if (accepted) {
      statements.get("UPDATE outbox SET payload=NULL WHERE submission_id=?")->bind(1, submission_id).run();
      if (settings.retention_days == 0) delete_personal_data(submission_id);
    }
    store.audit("platform", accepted ? "accepted" : "rejected", reference,
                accepted ? receipt.value("platformReference", "") : receipt.value("reasonCode", ""));
    return report(accepted ? ReceiptResult::Accepted : ReceiptResult::Rejected, reference);
  }

  // The platform's answer to a withdrawal request, if `message_id` is one (inside the caller's transaction).
  std::optional<ReceiptResult> apply_withdrawal_answer(const json& receipt, const std::string& message_id,
                                                       const std::string& outcome, std::string& detail) {
    std::string reference, status;
    {
      auto st = statements.get(
          "SELECT s.reference, w.status FROM withdrawals w JOIN submissions s ON s.id=w.submission_id WHERE "
          "w.message_id=?");
      st->bind(1, message_id);
      if (!st->step()) return std::nullopt;
      reference = st->text(0);
      status = st->text(1);
    }
    if (outcome != "accepted" && outcome != "rejected") {
      store.audit("delivery", "receipt-malformed", reference, "unknown outcome for a withdrawal");
      detail = "unknown outcome \"" + outcome + "\"";
      return ReceiptResult::Malformed;
    }
    if (status == "withdrawn" || status == "refused") {
      detail = reference + " withdrawal already answered";
      return ReceiptResult::Duplicate;
    }
    const bool withdrawn = outcome == "accepted";
    const std::string why = receipt.value("reasonCode", "") + " " + receipt.value("reasonText", "");
    statements.get("UPDATE withdrawals SET status=?, answered_at=?, answer=? WHERE message_id=?")
        ->bind(1, withdrawn ? "withdrawn" : "refused")
        .bind(2, store::now_iso())
        .bind(3, withdrawn ? "" : why)
        .bind(4, message_id)
        .run();
    store.audit("platform", withdrawn ? "withdrawn" : "withdraw-refused", reference,
                withdrawn ? "request " + message_id : why);
    detail = reference + (withdrawn ? " withdrawn by the platform" : " not withdrawn: " + why);
    return ReceiptResult::Withdrawal;
  }

  // Frees the leases of workers on this machine whose process is gone (at most every 2 s).
  void take_over_abandoned_leases(std::int64_t now_ms) {
    if (now_ms < next_lease_sweep_ms) return;
    next_lease_sweep_ms = now_ms + 2000;
    std::vector<std::string> gone;
    {
      auto st = store.db().prepare(
          "SELECT DISTINCT lease_owner FROM outbox WHERE status='queued' AND lease_owner IS NOT NULL AND "
          "lease_owner<>? AND lease_until>=?");
      st.bind(1, worker_id).bind(2, now_ms);
      while (st.step())
        if (lease_owner_gone(st.text(0), host)) gone.push_back(st.text(0));
    }
    for (const auto& owner : gone) {
      Transaction tx(store.db());
      store.db()
          .prepare("UPDATE outbox SET lease_owner=NULL, lease_until=0 WHERE lease_owner=? AND status='queued'")
          .bind(1, owner)
          .run();
      store.audit("delivery", "lease-taken-over", "", "the worker " + owner + " is gone");
      tx.commit();
    }
  }

  // A failed attempt inside the caller's transaction: retried after a backoff, parked after
  // delivery.max_attempts; the lease is given up. Not counted when another worker holds the
  // row (it took over after this one's lease ran out: its own attempt is the one that counts).
  void count_failure(const std::string& id, const std::string& error, const Settings& settings,
                     FailureCause cause = FailureCause::Other) {
    auto& db = store.db();
    auto st = db.prepare(
        "SELECT o.attempts, s.reference FROM outbox o JOIN submissions s ON s.id=o.submission_id WHERE "
        "o.submission_id=? AND o.status='queued' AND (o.lease_owner IS NULL OR o.lease_owner=?)");
    st.bind(1, id).bind(2, worker_id);
    if (!st.step()) return;  // settled meanwhile (receipt, staff), or another worker's now
    const int attempts = static_cast<int>(st.integer(0)) + 1;
    const std::string reference = st.text(1);
    if (attempts >= settings.max_attempts) {
      db.prepare(
            "UPDATE outbox SET status='parked', attempts=?, last_error=?, updated_at=?, lease_owner=NULL, "
            "lease_until=0, parked_cause=? WHERE submission_id=?")
          .bind(1, attempts)
          .bind(2, error)
          .bind(3, store::now_iso())
          .bind(4, to_string(cause))
          .bind(5, id)
          .run();
      store.audit("delivery", "parked", reference,
                  "after " + std::to_string(attempts) + " failed attempts (cause: " + to_string(cause) + ")");
    } else {
      const std::int64_t delay =
          backoff_delay_ms(attempts, settings.backoff_initial_ms, settings.backoff_max_ms, randombytes_random());
      db.prepare(
            "UPDATE outbox SET attempts=?, last_error=?, next_attempt_at=?, updated_at=?, lease_owner=NULL, "
            "lease_until=0 WHERE submission_id=?")
          .bind(1, attempts)
          .bind(2, error)
          .bind(3, store::now_ms() + delay)
          .bind(4, store::now_iso())
          .bind(5, id)
          .run();
    }
  }

  // Removes the personal data of one submission: answers, pages, representation, payload.
  void delete_personal_data(const std::string& id) {
    auto& db = store.db();
    db.prepare("DELETE FROM field_values WHERE submission_id=?").bind(1, id).run();
    db.prepare("DELETE FROM pages WHERE submission_id=?").bind(1, id).run();
    db.prepare("DELETE FROM representation WHERE submission_id=?").bind(1, id).run();
    db.prepare("UPDATE outbox SET payload=NULL WHERE submission_id=?").bind(1, id).run();
    db.prepare("UPDATE submissions SET personal_deleted_at=? WHERE id=?").bind(1, store::now_iso()).bind(2, id).run();
  }
};

Outbox::Outbox(const kiosk::Config& config) : settings_(Settings::from_config(config)) {
  try {
    impl_ = std::make_unique<Impl>(config);
  } catch (const forms::FormError& e) {
    throw OutboxError(OutboxError::Kind::Unavailable, std::string("The form catalogue cannot be read: ") + e.what());
  }
}

Outbox::~Outbox() = default;

store::Store& Outbox::store() {
  return impl_->store;
}

Committed Outbox::commit_submission(const NewSubmission& submission, const std::string& actor) {
  Impl& im = *impl_;
  const forms::Questionnaire* form = im.catalogue.find(submission.form_id);
  if (!form) throw OutboxError(OutboxError::Kind::BadInput, "There is no form with id \"" + submission.form_id + "\".");
  // The sheet's id first: a sheet scanned twice is answered with its first reference, whatever
  // was read from it the second time.
  std::string id = new_uuid();
  if (!submission.sheet_id.empty()) {
    id = submission_id_for_sheet(submission.sheet_id);
    if (auto earlier = im.committed_sheet(submission.sheet_id)) return im.sent_before(*earlier, submission, actor);
  }
  const auto issues = forms::validate_answers(*form, submission.answers);
  if (!issues.empty()) {
    std::string text = "The answers are not complete or not valid:";
    for (const auto& issue : issues) text += " " + issue.link_id + " (" + issue.code + ")";
    throw OutboxError(OutboxError::Kind::BadInput, text);
  }
  const std::string subject = subject_identity(*form, submission.answers);
  std::optional<RepresentationInfo> representation = submission.representation;
  if (representation && representation->type_code == "self") representation.reset();
  if (representation) {
    if (representation->represented.empty()) representation->represented = subject;
    if (!subject.empty() && representation->represented != subject)
      throw OutboxError(OutboxError::Kind::BadInput,
                        "The represented person's identity number must be the one the form is about.");
    forms::RepresentationRequest request;
    request.type_code = representation->type_code;
    request.represented.identity_number = representation->represented;
    request.representative = forms::Party{representation->representative, false};
    request.is_nearest_relative = submission.nearest_relative;
    request.evidence_provided = representation->evidence;
    request.today = forms::today_local();
    const auto decision = forms::check_representation(im.rules, *form, request);
    if (!decision.allowed || !decision.missing_evidence.empty()) {
      std::string text = "This representation is not allowed:";
      for (const auto& r : decision.refusals) text += " " + r.code;
      for (const auto& m : decision.missing_evidence) text += " missing-evidence:" + m;
      throw OutboxError(OutboxError::Kind::NotAllowed, text);
    }
  }

  // No signing key or platform certificate here: a commit only seals with the store key, and the
  // touch-screen process that commits never holds what sending needs (the delivery worker does).
  Bytes pdf;
  try {
    pdf = pages_to_pdf(submission.pages);
  } catch (const PageImageError& e) {
    throw OutboxError(OutboxError::Kind::BadInput, e.what());
  }

  Committed committed{id, new_reference()};
  BundleInput input;
  input.submission_id = committed.id;
  input.reference = committed.reference;
  input.timestamp = store::now_iso();
  input.form = form;
  input.answers = &submission.answers;
  input.pages_pdf = std::move(pdf);
  input.kiosk_id = settings_.kiosk_id;
  input.site_name = settings_.site_name;
  input.kiosk_her_id = settings_.kiosk_her_id;
  input.platform_her_id = settings_.platform_her_id;
  input.assisted_by = submission.assisted_by;
  input.assisted_by_name = submission.assisted_by_name;
  input.representation = representation;
  const size_t pdf_bytes = input.pages_pdf.size();
  // The message itself (PDF base64 spliced in, signed, encrypted) is built by the delivery
  // worker from what is stored here (prepare_message): the commit only has to make the
  // submission durable. The Bundle is fixed now, timestamp and PDF hash included, so every
  // send of this submission carries the same Bundle under the same message-id.
  const std::string bundle_template = build_bundle_template(std::move(input));
  const size_t message_estimate = filled_bundle_size(bundle_template, pdf_bytes) + kCmsOverheadBytes;
  if (static_cast<std::int64_t>(message_estimate) > settings_.max_message_bytes)
    throw OutboxError(OutboxError::Kind::BadInput,
                      "The submission is too large to send (" + std::to_string(message_estimate / 1024) +
                          " KiB; the limit is delivery.max_message_bytes). Scan fewer pages or at a lower resolution.");
  const Bytes payload = seal_template(im.store.box(), committed.id, bundle_template);

  // Everything slow happens before the transaction (validation, PDF layout and Bundle above;
  // sealing and hashing here), so the write lock is held only for the inserts and the fsync.
  const auto& box = im.store.box();
  std::vector<std::pair<std::string, Bytes>> sealed_fields;
  for (const auto& [link_id, values] : submission.answers.values) {
    json list = json::array();
    for (const auto& v : values) list.push_back(v.to_display_string());
    sealed_fields.emplace_back(link_id, box.seal(list.dump(), "field:" + committed.id + ":" + link_id));
  }
  struct SealedPage {
    std::int64_t size;
    std::string sha256;
    Bytes image;
  };
  std::vector<SealedPage> sealed_pages;
  for (size_t i = 0; i < submission.pages.size(); ++i)
    sealed_pages.push_back({static_cast<std::int64_t>(submission.pages[i].size()), sha256_hex(submission.pages[i]),
                            box.seal(submission.pages[i], page_context(committed.id, static_cast<int>(i + 1)))});
  Bytes sealed_parties;
  if (representation) {
    const json parties = {{"representative", representation->representative},
                          {"represented", representation->represented},
                          {"evidence", representation->evidence}};
    sealed_parties = box.seal(parties.dump(), "representation:" + committed.id);
  }

  auto& db = im.store.db();
  auto& cache = im.statements;
  for (int tries = 0;; ++tries) {
    try {
      Transaction tx(db);
      const std::string now = store::now_iso();
      {
        auto insert = cache.get(
            "INSERT INTO submissions(id, reference, form_id, form_version, representation_type, assisted_by, "
            "page_count, created_at, sheet_id) VALUES(?,?,?,?,?,?,?,?,?)");
        insert->bind(1, committed.id)
            .bind(2, committed.reference)
            .bind(3, form->id)
            .bind(4, form->version)
            .bind(5, representation ? representation->type_code : std::string("self"))
            .bind(6, submission.assisted_by)
            .bind(7, static_cast<std::int64_t>(submission.pages.size()))
            .bind(8, now);
        if (submission.sheet_id.empty())
          insert->bind_null(9);
        else
          insert->bind(9, submission.sheet_id);
        insert->run();
      }
      for (const auto& [link_id, value] : sealed_fields) {
        auto field = cache.get("INSERT INTO field_values(submission_id, link_id, value) VALUES(?,?,?)");
        field->bind(1, committed.id).bind(2, link_id).bind_blob_ref(3, value).run();
      }
      for (size_t i = 0; i < sealed_pages.size(); ++i) {
        auto page = cache.get("INSERT INTO pages(submission_id, page_no, bytes, sha256, image) VALUES(?,?,?,?,?)");
        page->bind(1, committed.id)
            .bind(2, static_cast<std::int64_t>(i + 1))
            .bind(3, sealed_pages[i].size)
            .bind(4, sealed_pages[i].sha256)
            .bind_blob_ref(5, sealed_pages[i].image)
            .run();
      }
      if (representation) {
        auto insert = cache.get("INSERT INTO representation(submission_id, type_code, parties) VALUES(?,?,?)");
        insert->bind(1, committed.id).bind(2, representation->type_code).bind_blob_ref(3, sealed_parties).run();
      }
      {
        auto insert = cache.get(
            "INSERT INTO outbox(submission_id, status, payload, attempts, next_attempt_at, updated_at) VALUES(?, "
            "'queued', ?, 0, ?, ?)");
        insert->bind(1, committed.id).bind_blob_ref(2, payload).bind(3, store::now_ms()).bind(4, now).run();
      }
      // A sheet held for staff review and the submission it became are one change: a crash
      // cannot leave the sheet in the review queue after it was committed (and so send it twice).
      if (!submission.settles_held_sheet.empty() &&
          !store::HeldSheets(im.store).remove_in_transaction(submission.settles_held_sheet))
        throw OutboxError(OutboxError::Kind::BadInput,
                          "The sheet held for review was already decided: it was not committed again.");
      im.store.audit(actor, "commit", committed.reference, "form " + form->id);
      tx.commit();
      if (!submission.settles_held_sheet.empty()) im.store.checkpoint();  // no deleted rows left in the WAL
      return committed;
    } catch (const store::StoreError& e) {
      const std::string what = e.what();
      // The same sheet committed meanwhile by another process (the kiosk and kioskctl, or two
      // scans racing): that commit stands.
      if (!submission.sheet_id.empty() && what.find("UNIQUE") != std::string::npos)
        if (auto earlier = im.committed_sheet(submission.sheet_id)) return im.sent_before(*earlier, submission, actor);
      // A reference collision is astronomically rare; anything else goes to the caller.
      if (tries < 3 && what.find("UNIQUE") != std::string::npos && what.find("reference") != std::string::npos) {
        committed.reference = new_reference();
        continue;
      }
      throw;
    }
  }
}

std::string page_context(const std::string& submission_id, int page_no) {
  return "page:" + submission_id + ":" + std::to_string(page_no);
}

std::vector<Bytes> Outbox::page_images(const std::string& reference_or_id) {
  const std::string id = impl_->resolve(reference_or_id);
  auto st = impl_->store.db().prepare(
      "SELECT page_no, image FROM pages WHERE submission_id=? AND image IS NOT NULL ORDER BY page_no");
  st.bind(1, id);
  std::vector<Bytes> images;
  while (st.step())
    images.push_back(impl_->store.box().open(st.blob(1), page_context(id, static_cast<int>(st.integer(0)))));
  return images;
}

std::string Outbox::bundle_text(const std::string& reference_or_id, const std::string& actor) {
  Impl& im = *impl_;
  const std::string id = im.resolve(reference_or_id);
  const auto entry = status(id);
  auto st = im.store.db().prepare("SELECT payload FROM outbox WHERE submission_id=? AND payload IS NOT NULL");
  st.bind(1, id);
  if (!st.step() || !is_template(st.blob(0)))
    throw OutboxError(OutboxError::Kind::NotFound, "The Bundle of " + entry->reference + " is no longer kept (" +
                                                       to_string(entry->status) + ": its personal data is deleted).");
  const Bytes stored = st.blob(0);
  std::vector<std::pair<int, Bytes>> pages;
  auto rows = im.store.db().prepare(
      "SELECT page_no, image FROM pages WHERE submission_id=? AND image IS NOT NULL ORDER BY page_no");
  rows.bind(1, id);
  while (rows.step()) pages.emplace_back(static_cast<int>(rows.integer(0)), rows.blob(1));
  std::string text = im.open_bundle(id, stored, pages);
  im.store.audit(actor, "show-bundle", entry->reference);  // personal data was read out
  return text;
}

std::vector<Entry> Outbox::list() {
  auto st = impl_->store.db().prepare(std::string("SELECT ") + kEntryColumns + "ORDER BY s.created_at, s.rowid");
  std::vector<Entry> out;
  while (st.step()) out.push_back(read_entry(st));
  return out;
}

std::optional<Entry> Outbox::status(const std::string& reference_or_id) {
  auto st = impl_->store.db().prepare(std::string("SELECT ") + kEntryColumns + "WHERE s.reference=? OR s.id=?");
  st.bind(1, reference_or_id).bind(2, reference_or_id);
  if (!st.step()) return std::nullopt;
  return read_entry(st);
}

void Outbox::retry(const std::string& reference_or_id, const std::string& actor) {
  auto& db = impl_->store.db();
  Transaction tx(db);
  const std::string id = impl_->resolve(reference_or_id);
  const auto entry = status(id);
  if (entry->status != Status::Parked && entry->status != Status::Rejected && entry->status != Status::Queued)
    throw OutboxError(OutboxError::Kind::NotAllowed, "Submission " + entry->reference + " is " +
                                                         to_string(entry->status) + " and cannot be sent again.");
  if (entry->personal_data_deleted)
    throw OutboxError(OutboxError::Kind::NotAllowed, "Submission " + entry->reference + " has no data left to send.");
  std::string detail;
  if (entry->status == Status::Rejected) {
    // The platform answers a message-id once: the rejected message goes out again under a new
    // one, which names the one it replaces in the Bundle and in the audit log.
    auto st = db.prepare("SELECT payload FROM outbox WHERE submission_id=? AND payload IS NOT NULL");
    st.bind(1, id);
    if (!st.step() || !is_template(st.blob(0)))
      throw OutboxError(OutboxError::Kind::NotAllowed, "Submission " + entry->reference + " has no data left to send.");
    const Bytes stored = st.blob(0);
    const std::string old_id = entry->message_id, new_id = new_uuid();
    const Bytes sealed(stored.begin() + static_cast<std::ptrdiff_t>(kTemplateMarker.size()), stored.end());
    json bundle = json::parse(impl_->store.box().open_text(sealed, template_context(id)));
    bundle["id"] = new_id;
    bundle["identifier"]["value"] = new_id;
    for (auto& e : bundle["entry"])
      if (e["resource"].value("resourceType", "") == "MessageHeader")
        e["resource"]["extension"] = json::array({{{"url", kReplacesExtension}, {"valueId", old_id}}});
    db.prepare("UPDATE outbox SET payload=? WHERE submission_id=?")
        .bind_blob(1, seal_template(impl_->store.box(), id, bundle.dump()))
        .bind(2, id)
        .run();
    db.prepare("INSERT INTO message_ids(message_id, submission_id, replaces, created_at) VALUES(?,?,?,?)")
        .bind(1, new_id)
        .bind(2, id)
        .bind(3, old_id)
        .bind(4, store::now_iso())
        .run();
    detail = "new message-id " + new_id + " replaces the rejected " + old_id;
  }
  // Any claim on the row is given up: staff decided, and the next worker sends it at once.
  db.prepare(
        "UPDATE outbox SET status='queued', attempts=0, next_attempt_at=?, updated_at=?, parked_cause=NULL, "
        "lease_owner=NULL, lease_until=0 WHERE submission_id=?")
      .bind(1, store::now_ms())
      .bind(2, store::now_iso())
      .bind(3, id)
      .run();
  impl_->store.audit(actor, "retry", entry->reference, detail);
  tx.commit();
}

namespace {
// Was a message of this submission ever handed to the broker (whatever happened since)?
bool was_ever_sent(store::Database& db, const std::string& submission_id) {
  auto st = db.prepare("SELECT sent_at IS NOT NULL FROM outbox WHERE submission_id=?");
  st.bind(1, submission_id);
  return st.step() && st.integer(0) != 0;
}
}  // namespace

void Outbox::cancel(const std::string& reference_or_id, const std::string& actor) {
  auto& db = impl_->store.db();
  Transaction tx(db);
  const std::string id = impl_->resolve(reference_or_id);
  const auto entry = status(id);
  const bool ever_sent = was_ever_sent(db, id);
  // Once a message has left, the platform may act on it whatever the kiosk does: only a
  // rejected one (the platform's final no) or one never sent can be given up here.
  const bool waiting = entry->status == Status::Parked || entry->status == Status::Queued;
  if ((waiting || entry->status == Status::Sent) && ever_sent)
    throw OutboxError(OutboxError::Kind::NotAllowed,
                      "Submission " + entry->reference +
                          " was sent to the platform already, so cancelling it here would not stop the platform "
                          "from acting on it. Ask the platform to withdraw it instead.");
  if (!waiting && entry->status != Status::Rejected)
    throw OutboxError(OutboxError::Kind::NotAllowed, "Submission " + entry->reference + " is " +
                                                         to_string(entry->status) + " and cannot be cancelled.");
  db.prepare("UPDATE outbox SET status='cancelled', finished_at=?, updated_at=? WHERE submission_id=?")
      .bind(1, store::now_iso())
      .bind(2, store::now_iso())
      .bind(3, id)
      .run();
  impl_->delete_personal_data(id);
  impl_->store.audit(actor, "cancel", entry->reference);
  tx.commit();
  impl_->store.checkpoint();
}

std::vector<StoredMessage> Outbox::load_due(std::int64_t now_ms, size_t limit, const std::vector<std::string>& skip) {
  // Ids first, payloads only for the messages chosen: the skipped ones (in flight) are
  // most of the rows read while the broker is busy, and each payload is ~0.5 MB.
  struct Chosen {
    std::string id, reference, message_id;
  };
  std::vector<Chosen> chosen;
  impl_->take_over_abandoned_leases(now_ms);
  {
    auto st = impl_->statements.get("SELECT s.id, s.reference, " KIOSK_CURRENT_MESSAGE_ID(
        "s") " FROM outbox o JOIN submissions s ON "
             "s.id=o.submission_id "
             "WHERE o.status='queued' AND o.next_attempt_at<=? AND o.payload IS NOT NULL AND (o.lease_owner IS NULL OR "
             "o.lease_owner=? OR o.lease_until<?) ORDER BY o.next_attempt_at, s.rowid LIMIT ?");
    st->bind(1, now_ms)
        .bind(2, impl_->worker_id)
        .bind(3, now_ms)
        .bind(4, static_cast<std::int64_t>(limit + skip.size()));
    while (chosen.size() < limit && st->step()) {
      std::string id = st->text(0);
      if (std::find(skip.begin(), skip.end(), id) != skip.end()) continue;
      chosen.push_back({std::move(id), st->text(1), st->text(2)});
    }
  }
  if (!chosen.empty()) {
    // Claimed in one write transaction, each row only if it is still free: another worker may
    // have claimed it since the read above (the write lock orders the two), and then it is its.
    Transaction tx(impl_->store.db());
    std::vector<Chosen> claimed;
    const std::int64_t until = store::now_ms() + kLeaseMs;
    for (auto& c : chosen) {
      auto claim = impl_->statements.get(
          "UPDATE outbox SET lease_owner=?1, lease_until=?2 WHERE submission_id=?3 AND status='queued' AND "
          "(lease_owner IS NULL OR lease_owner=?1 OR lease_until<?4)");
      claim->bind(1, impl_->worker_id).bind(2, until).bind(3, c.id).bind(4, now_ms).run();
      if (impl_->store.db().changes() > 0) claimed.push_back(std::move(c));
    }
    tx.commit();
    chosen = std::move(claimed);
  }
  std::vector<StoredMessage> out;
  bool any_template = false;
  for (auto& [id, reference, message_id] : chosen) {
    auto st = impl_->statements.get("SELECT payload FROM outbox WHERE submission_id=? AND payload IS NOT NULL");
    st->bind(1, id);
    if (!st->step()) continue;
    out.push_back({std::move(id), std::move(reference), std::move(message_id), st->blob(0), {}});
    if (!is_template(out.back().stored)) continue;
    any_template = true;
    auto page_rows = impl_->statements.get(
        "SELECT page_no, image FROM pages WHERE submission_id=? AND image IS NOT NULL ORDER BY page_no");
    page_rows->bind(1, out.back().id);
    while (page_rows->step())
      out.back().sealed_pages.emplace_back(static_cast<int>(page_rows->integer(0)), page_rows->blob(1));
  }
  // Here, not in build_message: that one must not change this Outbox (it runs on other threads).
  if (any_template) impl_->load_sending_credentials();
  return out;
}

OutgoingMessage Outbox::build_message(StoredMessage stored) const {
  OutgoingMessage message{std::move(stored.id), std::move(stored.reference), std::move(stored.message_id),
                          std::move(stored.stored)};
  if (is_template(message.payload))
    message.payload = impl_->prepare_message(message.id, message.payload, stored.sealed_pages, settings_);
  return message;
}

void Outbox::build_failed(const std::string& id, const std::string& reference, const std::string& error,
                          FailureCause cause) {
  impl_->store.audit("delivery", "prepare-failed", reference, error);
  mark_failed(id, "the message could not be built: " + error, cause);
}

std::vector<OutgoingMessage> Outbox::due_messages(std::int64_t now_ms, size_t limit,
                                                  const std::vector<std::string>& skip) {
  auto stored = load_due(now_ms, limit, skip);
  // Build them (the slow part: PDF, base64, CMS) in parallel.
  std::vector<OutgoingMessage> out(stored.size());
  std::vector<std::string> errors(stored.size());
  run_in_parallel(stored.size(), [&](size_t i) {
    const std::string id = stored[i].id, reference = stored[i].reference;
    try {
      out[i] = build_message(std::move(stored[i]));
    } catch (const std::exception& e) {
      out[i].id = id;
      out[i].reference = reference;
      errors[i] = e.what();
    }
  });
  std::vector<OutgoingMessage> ready;
  for (size_t i = 0; i < out.size(); ++i) {
    if (errors[i].empty())
      ready.push_back(std::move(out[i]));
    else
      build_failed(out[i].id, out[i].reference, errors[i]);
  }
  return ready;
}

void Outbox::mark_sent(const std::string& id) {
  auto& db = impl_->store.db();
  // Only a queued message becomes sent: a receipt may already have arrived. While sent,
  // next_attempt_at is when it is sent again if no receipt has come.
  db.prepare(
        "UPDATE outbox SET status='sent', sent_at=?, updated_at=?, last_error=NULL, next_attempt_at=?, "
        "lease_owner=NULL, lease_until=0 WHERE submission_id=? AND status='queued'")
      .bind(1, store::now_iso())
      .bind(2, store::now_iso())
      .bind(3, store::now_ms() + settings_.receipt_timeout_ms)
      .bind(4, id)
      .run();
}

void Outbox::mark_sent(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  Transaction tx(impl_->store.db());
  const std::string now = store::now_iso();
  const std::int64_t resend_at = store::now_ms() + settings_.receipt_timeout_ms;
  for (const auto& id : ids) {
    auto st = impl_->statements.get(
        "UPDATE outbox SET status='sent', sent_at=?, updated_at=?, last_error=NULL, next_attempt_at=?, "
        "lease_owner=NULL, lease_until=0 WHERE submission_id=? AND status='queued'");
    st->bind(1, now).bind(2, now).bind(3, resend_at).bind(4, id).run();
  }
  tx.commit();
}

int Outbox::requeue_unanswered(std::int64_t now_ms) {
  auto& db = impl_->store.db();
  std::vector<std::pair<std::string, std::string>> overdue;  // id, reference
  {
    auto st = db.prepare(
        "SELECT s.id, s.reference FROM outbox o JOIN submissions s ON s.id=o.submission_id WHERE o.status='sent' AND "
        "o.next_attempt_at<=? AND o.payload IS NOT NULL");
    st.bind(1, now_ms);
    while (st.step()) overdue.emplace_back(st.text(0), st.text(1));
  }
  const std::string why =
      "no receipt from the platform within " + std::to_string(settings_.receipt_timeout_ms / 1000) + " s";
  int requeued = 0;
  for (const auto& [id, reference] : overdue) {
    // Back to the queue and counted as one failed attempt in one transaction: another worker
    // that saw the same overdue row finds it queued already and leaves it (no double count).
    Transaction tx(db);
    db.prepare(
          "UPDATE outbox SET status='queued', updated_at=?, lease_owner=NULL, lease_until=0 WHERE submission_id=? AND "
          "status='sent' AND next_attempt_at<=?")
        .bind(1, store::now_iso())
        .bind(2, id)
        .bind(3, now_ms)
        .run();
    if (db.changes() == 0) continue;
    impl_->store.audit("delivery", "receipt-overdue", reference, why);
    impl_->count_failure(id, why + "; sent again", settings_, FailureCause::Receipt);
    tx.commit();
    ++requeued;
  }
  return requeued;
}

void Outbox::mark_failed(const std::string& id, const std::string& error, FailureCause cause) {
  Transaction tx(impl_->store.db());
  impl_->count_failure(id, error, settings_, cause);
  tx.commit();
}

int Outbox::unpark(FailureCause cause, const std::string& why) {
  auto& db = impl_->store.db();
  Transaction tx(db);
  std::vector<std::pair<std::string, std::string>> rows;  // id, reference
  {
    auto st = db.prepare(
        "SELECT s.id, s.reference FROM outbox o JOIN submissions s ON s.id=o.submission_id WHERE o.status='parked' "
        "AND o.parked_cause=? AND o.payload IS NOT NULL");
    st.bind(1, to_string(cause));
    while (st.step()) rows.emplace_back(st.text(0), st.text(1));
  }
  for (const auto& [id, reference] : rows) {
    // A fresh series of attempts, as a staff retry gives; the same message-id (it was never answered).
    db.prepare(
          "UPDATE outbox SET status='queued', attempts=0, next_attempt_at=?, updated_at=?, parked_cause=NULL, "
          "lease_owner=NULL, lease_until=0 WHERE submission_id=? AND status='parked'")
        .bind(1, store::now_ms())
        .bind(2, store::now_iso())
        .bind(3, id)
        .run();
    impl_->store.audit("delivery", "auto-retry", reference, why);
  }
  tx.commit();
  return static_cast<int>(rows.size());
}

const std::string& Outbox::worker_id() const {
  return impl_->worker_id;
}

void Outbox::renew_leases() {
  impl_->store.db()
      .prepare("UPDATE outbox SET lease_until=? WHERE lease_owner=? AND status='queued'")
      .bind(1, store::now_ms() + kLeaseMs)
      .bind(2, impl_->worker_id)
      .run();
}

void Outbox::release_leases() {
  impl_->store.db()
      .prepare("UPDATE outbox SET lease_owner=NULL, lease_until=0 WHERE lease_owner=? AND status='queued'")
      .bind(1, impl_->worker_id)
      .run();
}

namespace {
// A receipt after decryption and signature check; `error` set when it is malformed.
struct DecodedReceipt {
  json body;
  std::string error;
  bool local_fault = false;  // failed a check on this kiosk: held, not malformed
};
}  // namespace

ReceiptResult Outbox::apply_receipt(const Bytes& message, std::string* detail) {
  std::vector<std::string> details;
  const auto results = apply_receipts({message}, &details);
  if (detail) *detail = details.front();
  return results.front();
}

std::vector<ReceiptResult> Outbox::apply_receipts(const std::vector<Bytes>& messages,
                                                  std::vector<std::string>* details) {
  Impl& im = *impl_;
  // The slow part (decrypt, verify) before the transaction.
  std::vector<DecodedReceipt> decoded(messages.size());
  std::string credentials_error;
  try {
    im.load_receiving_credentials();
  } catch (const std::exception& e) {
    // A key or certificate file missing or unreadable here: no receipt can be checked until it is fixed.
    credentials_error = std::string("the receipt keys or certificates cannot be used: ") + e.what();
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!credentials_error.empty()) {
      decoded[i].error = credentials_error;
      decoded[i].local_fault = true;
      continue;
    }
    try {
      std::vector<const KeyPair*> keys = {&*im.decryption};
      if (im.legacy_decryption) keys.push_back(&*im.legacy_decryption);
      const Opened opened =
          decrypt_then_verify(messages[i], keys, im.ca.get(), im.platform_signing.get(), im.revocation_list.get());
      decoded[i].body = json::parse(opened.content.begin(), opened.content.end());
      if (!decoded[i].body.is_object() || !decoded[i].body.contains("messageId") ||
          !decoded[i].body.contains("outcome"))
        throw std::runtime_error("messageId or outcome missing");
    } catch (const CryptoError& e) {
      // Not CMS at all: nobody can ever read it. Anything else (no key of ours fits, signature,
      // certificate chain, revocation list) is judged with what this kiosk holds, which may be
      // stale or wrong: the receipt is held until that is fixed.
      decoded[i].error = e.what();
      decoded[i].local_fault = e.code() != codes::kNotParseable;
    } catch (const std::exception& e) {
      decoded[i].error = e.what();
    }
  }
  std::vector<ReceiptResult> results;
  if (details) details->clear();
  auto& db = im.store.db();
  Transaction tx(db);
  for (const auto& receipt : decoded) {
    std::string detail;
    if (receipt.local_fault) {
      im.store.audit("delivery", "receipt-held", "", receipt.error);
      results.push_back(ReceiptResult::Held);
      if (details) details->push_back("could not be checked here: " + receipt.error);
      continue;
    }
    results.push_back(im.apply_decoded_receipt(receipt.body, receipt.error, settings_, detail));
    if (details) details->push_back(std::move(detail));
  }
  tx.commit();
  return results;
}

size_t Outbox::count(Status status) {
  auto st = impl_->store.db().prepare("SELECT COUNT(*) FROM outbox WHERE status=?");
  st.bind(1, to_string(status));
  st.step();
  return static_cast<size_t>(st.integer(0));
}

std::int64_t Outbox::next_due_ms() {
  auto st = impl_->store.db().prepare("SELECT MIN(next_attempt_at) FROM outbox WHERE status='queued'");
  st.step();
  return st.is_null(0) ? -1 : st.integer(0);
}

int Outbox::purge_expired() {
  auto& db = impl_->store.db();
  Transaction tx(db);
  std::vector<std::string> ids;
  if (settings_.retention_days > 0) {
    auto st = db.prepare(
        "SELECT s.id FROM submissions s JOIN outbox o ON o.submission_id=s.id WHERE o.status='accepted' AND "
        "s.personal_deleted_at IS NULL AND o.finished_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)");
    st.bind(1, "-" + std::to_string(settings_.retention_days) + " days");
    while (st.step()) ids.push_back(st.text(0));
    for (const auto& id : ids) impl_->delete_personal_data(id);
  }
  // Undelivered data is not kept for ever: rejected (since the platform's answer), parked (since
  // it was parked) and held for review (since it was scanned), each older than the limit.
  const std::string limit = "-" + std::to_string(settings_.undelivered_retention_days) + " days";
  const std::string days = std::to_string(settings_.undelivered_retention_days);
  struct Expired {
    std::string id, reference, status;
  };
  std::vector<Expired> expired;
  {
    auto st = db.prepare(
        "SELECT s.id, s.reference, o.status FROM submissions s JOIN outbox o ON o.submission_id=s.id WHERE "
        "s.personal_deleted_at IS NULL AND ((o.status='rejected' AND o.finished_at <= strftime('%Y-%m-%dT%H:%M:%SZ', "
        "'now', ?1)) OR (o.status='parked' AND o.updated_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)))");
    st.bind(1, limit);
    while (st.step()) expired.push_back({st.text(0), st.text(1), st.text(2)});
  }
  for (const auto& e : expired) {
    if (e.status == "parked")
      db.prepare(
            "UPDATE outbox SET status='cancelled', finished_at=?1, updated_at=?1, parked_cause=NULL, last_error=?2 "
            "WHERE submission_id=?3")
          .bind(1, store::now_iso())
          .bind(2, "Expired: parked for " + days +
                       " days (store.undelivered_retention_days); its personal data is "
                       "deleted.")
          .bind(3, e.id)
          .run();
    impl_->delete_personal_data(e.id);
    impl_->store.audit("delivery", "expired", e.reference,
                       e.status + " for " + days + " days (store.undelivered_retention_days); personal data deleted");
  }
  std::vector<std::pair<std::string, std::string>> held;  // id, reference
  {
    auto st = db.prepare(
        "SELECT id, reference FROM held_sheets WHERE created_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)");
    st.bind(1, limit);
    while (st.step()) held.emplace_back(st.text(0), st.text(1));
  }
  store::HeldSheets sheets(impl_->store);
  for (const auto& [id, reference] : held) {
    sheets.remove_in_transaction(id);
    impl_->store.audit("delivery", "expired", reference,
                       "held for review for " + days + " days (store.undelivered_retention_days); deleted");
  }
  tx.commit();
  const size_t purged = ids.size() + expired.size() + held.size();
  if (purged > 0) impl_->store.checkpoint();  // no deleted data left in the WAL
  return static_cast<int>(purged);
}

}  // namespace kiosk::outbox

namespace kiosk::outbox {

namespace {

std::int64_t asn1_time_ms(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000;
}

}  // namespace

std::vector<CertificateDate> Outbox::sending_certificates() const {
  const auto& config = impl_->config;
  std::vector<std::pair<std::string, std::string>> wanted = {
      {"security.signing_certificate", "the kiosk's signing certificate"},
      {"security.platform_encryption_certificate", "the platform's encryption certificate"}};
  if (config.get_string("broker.url").rfind("amqps://", 0) == 0)
    wanted.emplace_back("broker.tls_client_certificate", "the kiosk's TLS client certificate for the broker");
  std::vector<CertificateDate> out;
  for (const auto& [key, label] : wanted) {
    if (config.get_string(key).empty()) continue;  // not configured: said where it is needed
    CertificateDate date;
    date.key = key;
    date.label = label;
    try {
      const X509Ptr cert = load_certificate(config.get_path(key));
      date.not_before_ms = asn1_time_ms(X509_get0_notBefore(cert.get()));
      date.not_after_ms = asn1_time_ms(X509_get0_notAfter(cert.get()));
    } catch (const std::exception& e) {
      date.error = e.what();
    }
    out.push_back(std::move(date));
  }
  return out;
}

std::string Outbox::sending_blocked_reason(const std::vector<CertificateDate>& certificates, std::int64_t now_ms) {
  for (const auto& c : certificates) {
    if (!c.error.empty())
      return "Waiting: " + c.label + " (" + c.key + ") cannot be read: " + c.error +
             " Nothing is sent until it is fixed; the submissions stay queued.";
    if (c.not_after_ms != 0 && now_ms > c.not_after_ms)
      return "Waiting: " + c.label + " expired on " + utc_minute_text(c.not_after_ms) +
             ". Nothing is sent until a new one is installed (kioskctl setup --certs-from DIR); the submissions stay "
             "queued.";
    if (c.not_before_ms != 0 && now_ms < c.not_before_ms)
      return "Waiting: " + c.label + " is not valid before " + utc_minute_text(c.not_before_ms) +
             " (check the clock). Nothing is sent until then; the submissions stay queued.";
  }
  return "";
}

void Outbox::mark_waiting(const std::string& reason) {
  impl_->store.db()
      .prepare(
          "UPDATE outbox SET last_error=?1, updated_at=?2 WHERE status='queued' AND (last_error IS NULL OR "
          "last_error<>?1)")
      .bind(1, reason)
      .bind(2, store::now_iso())
      .run();
}

void Outbox::clear_waiting() {
  // Only the reasons mark_waiting wrote: a failed attempt's error stays for staff.
  impl_->store.db()
      .prepare("UPDATE outbox SET last_error=NULL WHERE status='queued' AND last_error LIKE 'Waiting: %'")
      .run();
}

std::string Outbox::credentials_fingerprint() const {
  std::string out;
  for (const auto& spec : kiosk::Config::schema()) {
    if (spec.type != kiosk::Config::Type::Path) continue;
    if (spec.key.rfind("security.", 0) != 0 && spec.key.rfind("broker.tls_", 0) != 0) continue;
    const std::string& value = impl_->config.get_string(spec.key);
    out += spec.key + "=" + value;
    if (!value.empty()) {
      std::error_code ec;
      const auto path = impl_->config.get_path(spec.key);
      const auto size = std::filesystem::file_size(path, ec);
      const auto time = std::filesystem::last_write_time(path, ec);
      if (!ec)
        out += ":" + std::to_string(size) + ":" + std::to_string(time.time_since_epoch().count());
      else
        out += ":missing";
    }
    out += "\n";
  }
  return out;
}

void Outbox::reload_credentials() {
  Impl& im = *impl_;
  im.signer.reset();
  im.platform_encryption.reset();
  im.decryption.reset();
  im.legacy_decryption.reset();
  im.platform_signing.reset();
  im.ca.reset();
  im.revocation_list.reset();
}

}  // namespace kiosk::outbox

namespace kiosk::outbox {

std::string Outbox::request_withdrawal(const std::string& reference_or_id, const std::string& actor,
                                       const std::string& reason) {
  auto& db = impl_->store.db();
  Transaction tx(db);
  const std::string id = impl_->resolve(reference_or_id);
  const auto entry = status(id);
  const bool ever_sent = was_ever_sent(db, id);
  if (entry->status == Status::Cancelled)
    throw OutboxError(OutboxError::Kind::NotAllowed, "Submission " + entry->reference + " was cancelled.");
  if (!ever_sent)
    throw OutboxError(OutboxError::Kind::NotAllowed,
                      "Submission " + entry->reference +
                          " was never sent to the platform, so there is nothing to withdraw: cancel it instead "
                          "(kioskctl queue cancel " +
                          entry->reference + ").");
  if (entry->status == Status::Rejected)
    throw OutboxError(
        OutboxError::Kind::NotAllowed,
        "Submission " + entry->reference + " was rejected by the platform: there is nothing to withdraw.");
  if (entry->withdrawal == "queued" || entry->withdrawal == "sent" || entry->withdrawal == "withdrawn")
    throw OutboxError(OutboxError::Kind::NotAllowed, "A withdrawal of " + entry->reference + " is already " +
                                                         (entry->withdrawal == "withdrawn" ? "done" : "under way") +
                                                         ".");
  const std::string request = new_uuid();
  db.prepare(
        "INSERT INTO withdrawals(message_id, submission_id, withdraws, requested_at, requested_by, reason, status) "
        "VALUES(?,?,?,?,?,?,'queued')")
      .bind(1, request)
      .bind(2, id)
      .bind(3, entry->message_id)
      .bind(4, store::now_iso())
      .bind(5, actor)
      .bind(6, reason)
      .run();
  impl_->store.audit(actor, "withdraw-requested", entry->reference,
                     "request " + request + " withdraws message-id " + entry->message_id +
                         (reason.empty() ? "" : "; reason: " + reason));
  tx.commit();
  return request;
}

std::vector<OutgoingWithdrawal> Outbox::due_withdrawals(const std::vector<std::string>& skip) {
  struct Row {
    std::string message_id, reference, withdraws, reason, requested_at;
  };
  std::vector<Row> rows;
  {
    auto st = impl_->store.db().prepare(
        "SELECT w.message_id, s.reference, w.withdraws, w.reason, w.requested_at FROM withdrawals w JOIN submissions "
        "s ON s.id=w.submission_id WHERE w.status='queued' ORDER BY w.rowid");
    while (st.step())
      if (std::find(skip.begin(), skip.end(), st.text(0)) == skip.end())
        rows.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4)});
  }
  if (rows.empty()) return {};
  impl_->load_sending_credentials();
  std::vector<OutgoingWithdrawal> out;
  for (const auto& r : rows) {
    const std::string text =
        json{{"type", "withdrawal"}, {"messageId", r.message_id},     {"withdraws", r.withdraws},
             {"reason", r.reason},   {"requestedAt", r.requested_at}, {"fromHerId", settings_.kiosk_her_id}}
            .dump();
    try {
      out.push_back(
          {r.message_id, r.reference,
           sign_then_encrypt(Bytes(text.begin(), text.end()), *impl_->signer, impl_->platform_encryption.get())});
    } catch (const CryptoError& e) {
      throw OutboxError(OutboxError::Kind::Unavailable, e.what());
    }
  }
  return out;
}

void Outbox::mark_withdrawal_sent(const std::string& message_id) {
  impl_->store.db()
      .prepare("UPDATE withdrawals SET status='sent', sent_at=? WHERE message_id=? AND status='queued'")
      .bind(1, store::now_iso())
      .bind(2, message_id)
      .run();
}

size_t Outbox::count_withdrawals_waiting() {
  auto st = impl_->store.db().prepare("SELECT COUNT(*) FROM withdrawals WHERE status IN ('queued','sent')");
  st.step();
  return static_cast<size_t>(st.integer(0));
}

}  // namespace kiosk::outbox

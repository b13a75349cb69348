#pragma once
// The kiosk's outbox: the only way a submission leaves the kiosk.
//
//   kiosk::outbox::Outbox outbox(config);                 // opens the store (key on first start)
//   auto committed = outbox.commit_submission(submission); // durable when it returns
//   committed.reference                                    // show this to the citizen
//   outbox.status(committed.reference)->status             // Queued, Sent, Accepted, ...
//
// A DeliveryWorker (delivery.hpp) sends what is committed.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.hpp"
#include "forms/answers.hpp"
#include "outbox/bundle.hpp"
#include "store/store.hpp"

namespace kiosk::outbox {

// A problem the caller can act on, in plain language (validation, certificates, disk).
class OutboxError : public std::runtime_error {
 public:
  enum class Kind { BadInput, NotFound, NotAllowed, Unavailable, Other };
  OutboxError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

enum class Status { Queued, Sent, Accepted, Rejected, Parked, Cancelled };
std::string to_string(Status status);
std::optional<Status> status_from_string(const std::string& text);

struct NewSubmission {
  std::string form_id;
  forms::Answers answers;
  std::vector<Bytes> pages;                          // scanned pages, PNG
  std::optional<RepresentationInfo> representation;  // absent: the person acts for themself
  bool nearest_relative = false;                     // declared for power of attorney without consent competence
  std::string assisted_by;                           // staff member id, empty when the citizen was alone
  std::string assisted_by_name;                      // the member's name (Provenance display), may be empty
  std::string settles_held_sheet;  // id of the held sheet this decides: deleted in the commit's transaction
  // The submission id printed in the sheet's QR code (or the kiosk session's id for a form filled on
  // screen): the idempotency key from print to platform. The submission id, the AMQP message-id and
  // the Bundle identifier are derived from it (submission_id_for_sheet), so the same sheet committed
  // twice, here or at another kiosk, is one submission at the platform. Empty: a fresh random id.
  std::string sheet_id;
};

struct Committed {
  std::string id;         // submission id = AMQP message-id
  std::string reference;  // short reference for the citizen and staff, e.g. "HK-7KQ2-M9XD"
  bool sent_before = false;  // the sheet was committed before: id and reference are that commit's
};

// The submission id (a name-based UUID, RFC 4122 version 5) for a sheet's id: the same on every
// kiosk, so the platform recognises a sheet sent twice by its message-id. Throws OutboxError
// (BadInput) for an id that cannot come from a QR code ([A-Za-z0-9._-], 1..64 characters).
std::string submission_id_for_sheet(const std::string& sheet_id);

// What staff and the UI see about one submission. No health data, no identity numbers.
struct Entry {
  std::string id;
  std::string reference;
  std::string form_id;
  std::string representation_type;
  Status status = Status::Queued;
  int attempts = 0;
  std::string created_at;
  std::string updated_at;
  std::int64_t next_attempt_at_ms = 0;
  std::string last_error;
  std::string message_id;          // the message-id sent last
  std::string platform_reference;  // when accepted
  std::string reason_code;         // when rejected
  std::string reason_text;
  bool personal_data_deleted = false;
  std::string withdrawal;  // the latest withdrawal request: queued, sent, withdrawn or refused; empty: none
};

// A withdrawal request due for sending (signed and encrypted like a submission).
struct OutgoingWithdrawal {
  std::string message_id;  // the request's own message-id
  std::string reference;
  Bytes payload;
};

struct Settings {
  std::string kiosk_id, site_name, kiosk_her_id, platform_her_id;
  std::string broker_url, platform_address, reply_address, cpa_id;
  std::int64_t retention_days = 0, undelivered_retention_days = 90, max_attempts = 10, backoff_initial_ms = 1000, backoff_max_ms = 300000;
  std::int64_t max_message_bytes = 20 * 1024 * 1024;
  std::int64_t receipt_timeout_ms = 900000;
  static Settings from_config(const kiosk::Config& config);
};

// Capped exponential backoff with jitter: the delay before retry number `attempt`
// (1 = first retry) is uniformly drawn from [d/2, d] where d = min(max, initial * 2^(attempt-1)).
std::int64_t backoff_delay_ms(int attempt, std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t random);

// A message due for sending.
struct OutgoingMessage {
  std::string id;  // the submission
  std::string reference;
  std::string message_id;  // the AMQP message-id: the submission id, or a new one after a rejection
  Bytes payload;  // signed-then-encrypted Bundle
};

// A due message as stored: read from the store on the delivery thread, then built into an
// OutgoingMessage (Outbox::build_message) on any thread.
struct StoredMessage {
  std::string id;
  std::string reference;
  std::string message_id;
  Bytes stored;                                     // the sealed Bundle template, or a message built earlier
  std::vector<std::pair<int, Bytes>> sealed_pages;  // page_no, page image sealed with the store key
};

// The authenticated context a page image is sealed under in the store (pages.image).
std::string page_context(const std::string& submission_id, int page_no);

// Held: the receipt failed a check on this kiosk that a local fix can clear (it could not be
// decrypted with our keys, or its signature, the platform's certificate or the revocation list did
// not check out here). It is never discarded: the worker keeps it on the broker (kHeldReceiptsSuffix)
// and applies it once the fault is fixed. Malformed: it can never be read by anyone (not CMS, or a
// signed body that is not a receipt).
// Withdrawal: the platform's answer to a withdrawal request (Outbox::request_withdrawal).
enum class ReceiptResult { Accepted, Rejected, Duplicate, UnknownMessage, Malformed, Held, Withdrawal };
std::string to_string(ReceiptResult result);

// Why a message was parked, so that the worker can send it again by itself when the cause clears.
enum class FailureCause {
  Other,        // damaged data, too large: staff decide (queue retry / cancel)
  Broker,       // the broker refused it or the connection was lost: retried when the broker takes messages again
  Credentials,  // certificates or keys could not be used: retried when those files change
  Receipt,      // the platform did not answer in time: retried when a receipt from the platform arrives
};
std::string to_string(FailureCause cause);

// The reply queue's companion on the broker that keeps receipts which failed a local check
// (ReceiptResult::Held): broker.reply_queue + this suffix. The worker re-reads it.
inline constexpr const char* kHeldReceiptsSuffix = "_held";
// delivery_state key: receipts waiting in that queue (as of the worker's last look).
inline constexpr const char* kHeldReceiptsKey = "receipts.held";

// A certificate the kiosk needs for sending, and until when it is valid.
struct CertificateDate {
  std::string key;    // configuration key, e.g. "security.signing_certificate"
  std::string label;  // plain English, e.g. "the kiosk's signing certificate"
  std::int64_t not_before_ms = 0, not_after_ms = 0;
  std::string error;  // the file could not be read (then the dates are 0)
};

class Outbox {
 public:
  // Opens the store named by store.path / store.key_file and the certificates named by
  // security.*. Throws store::StoreError or OutboxError.
  explicit Outbox(const kiosk::Config& config);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Validates, builds the Bundle, signs and encrypts it, and writes the submission and
  // its outbox message in one transaction (synchronous=FULL). Durable when it returns.
  Committed commit_submission(const NewSubmission& submission, const std::string& actor = "kiosk");

  std::vector<Entry> list();
  // The scanned pages of a submission, decrypted with the store key (PNG, in page order).
  // Empty once the personal data is deleted (accepted or cancelled).
  std::vector<Bytes> page_images(const std::string& reference_or_id);
  std::optional<Entry> status(const std::string& reference_or_id);
  // The FHIR Bundle as it is sent (JSON, pages included), read with the store key; audited as
  // `actor` reading personal data. Throws OutboxError (NotFound) once the personal data is deleted.
  std::string bundle_text(const std::string& reference_or_id, const std::string& actor);
  // Staff actions (audited): send a parked or rejected message again / give it up. A rejected
  // one is sent under a new message-id that names the rejected one (MessageHeader extension
  // kReplacesExtension, and the audit log): the platform answers each message-id once.
  void retry(const std::string& reference_or_id, const std::string& actor);
  void cancel(const std::string& reference_or_id, const std::string& actor);
  // Staff ask the platform to withdraw a submission that was sent (audited): a request is queued for
  // the delivery worker, under a message-id of its own; the platform's receipt says whether it was
  // withdrawn. Throws OutboxError (NotAllowed) for one never sent (cancel it instead), one cancelled,
  // or one with a request under way or done. Returns the request's message-id.
  std::string request_withdrawal(const std::string& reference_or_id, const std::string& actor,
                                 const std::string& reason);
  // Delivery side: the queued requests, built; mark_withdrawal_sent once the broker has one.
  std::vector<OutgoingWithdrawal> due_withdrawals(const std::vector<std::string>& skip);
  void mark_withdrawal_sent(const std::string& message_id);
  size_t count_withdrawals_waiting();  // queued or sent, not yet answered

  // Delivery side, used by DeliveryWorker.
  // Reads and builds up to `limit` messages due by `now_ms`, except those in `skip`, and claims
  // them for this worker (a lease). A message that cannot be built is audited and counted as a
  // failed attempt.
  std::vector<OutgoingMessage> due_messages(std::int64_t now_ms, size_t limit, const std::vector<std::string>& skip);
  // The first half of due_messages: claims the rows (lease) and reads the stored parts (and
  // loads the sending credentials), touching nothing else.
  std::vector<StoredMessage> load_due(std::int64_t now_ms, size_t limit, const std::vector<std::string>& skip);
  // The second half: the PDF, the Bundle, signed and encrypted. Uses no database, so it
  // may run on other threads while this Outbox is used (after load_due returned the
  // message). Throws on damaged data or a message above delivery.max_message_bytes.
  OutgoingMessage build_message(StoredMessage stored) const;
  // A message that could not be built: audited, and a failed attempt (retried or parked).
  void build_failed(const std::string& id, const std::string& reference, const std::string& error,
                    FailureCause cause = FailureCause::Other);
  // Sent: at the broker, waiting for the platform's receipt until settings().receipt_timeout_ms.
  void mark_sent(const std::string& id);
  // The same for many messages in one transaction (one fsync), as the worker does per tick.
  void mark_sent(const std::vector<std::string>& ids);
  // Sent messages whose receipt did not come in time go back to the queue as a failed
  // attempt (so they are parked after delivery.max_attempts). Returns how many.
  int requeue_unanswered(std::int64_t now_ms);
  // A failed attempt: retried after a backoff, parked after delivery.max_attempts (with `cause`,
  // so that unpark() can send it again once that cause is gone).
  void mark_failed(const std::string& id, const std::string& error, FailureCause cause = FailureCause::Other);
  // Parked messages of this cause go back to the queue (audited as the worker's retry); how many.
  int unpark(FailureCause cause, const std::string& why);
  // Decrypts, verifies and applies a receipt from the platform. Never throws for bad
  // input: a malformed or unknown receipt is audited and reported.
  ReceiptResult apply_receipt(const Bytes& message, std::string* detail = nullptr);
  // Many receipts in one transaction (one fsync); results and details in the same order.
  std::vector<ReceiptResult> apply_receipts(const std::vector<Bytes>& messages,
                                            std::vector<std::string>* details = nullptr);
  size_t count(Status status);

  // Certificates checked before each send: the kiosk's signing certificate, the platform's
  // encryption certificate and, on amqps://, the TLS client certificate. Read from the files now.
  std::vector<CertificateDate> sending_certificates() const;
  // A plain reason why nothing may be sent now (a certificate above expired, not yet valid or
  // unreadable), empty when sending may go on.
  static std::string sending_blocked_reason(const std::vector<CertificateDate>& certificates, std::int64_t now_ms);
  // Queued messages wait with `reason` as their last_error (no attempt counted); clear_waiting
  // removes that reason again once sending may go on.
  void mark_waiting(const std::string& reason);
  void clear_waiting();
  // Files the sending and receiving credentials come from (paths, sizes, modification times):
  // when this changes, the worker reloads the credentials and retries what they had stopped.
  std::string credentials_fingerprint() const;
  // Drops the loaded certificates and keys: the next use reads the files again. Not while
  // build_message runs on another thread.
  void reload_credentials();
  // The delivery side claims the rows it sends (a lease, migration 10), so that two workers
  // (two `kioskctl queue deliver` started by mistake) never send the same row and count its
  // attempts once. The owner is this Outbox's worker id ("host/pid/random"); a lease runs out
  // after kLeaseMs unless renewed, and a lease of a process that is gone from this machine is
  // taken over at once, so nothing waits long after a crash.
  static constexpr std::int64_t kLeaseMs = 60'000;
  const std::string& worker_id() const;
  // Extends this worker's leases on queued rows (the worker calls it well within kLeaseMs).
  void renew_leases();
  // Gives up this worker's claims on queued rows (connection lost, stopping).
  void release_leases();
  std::int64_t next_due_ms();  // earliest next_attempt_at of queued messages, or -1
  // Deletes personal data of accepted submissions older than store.retention_days, and (audited as
  // "expired") of rejected and parked submissions and held sheets older than
  // store.undelivered_retention_days: a parked one is cancelled then (it can no longer be sent).
  // Returns how many were purged.
  int purge_expired();

  const Settings& settings() const { return settings_; }
  store::Store& store();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Settings settings_;
};

}  // namespace kiosk::outbox

#pragma once
#include <filesystem>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forms/answers.hpp"

namespace kiosk::flow {

// The kiosk's long-running parts (printing, scanning, the outbox) sit behind these
// interfaces. `start` returns at once; the work runs on a worker thread and the flow
// polls for the result once per frame on the UI thread. An implementation that is not
// wired on this kiosk says so through `available()` and an "unavailable" result: the
// flow then tells the person plainly, it never pretends the step worked.

enum class Outcome { Done, Failed, Unavailable };

enum class PrintKind { FilledForm, BlankForm, Receipt };

// Who acts for whom, carried from the "Who is it for?" screen to the outbox.
struct Representation {
  std::string type = "self";          // representation type code
  std::string representative_id;      // empty for "self"
  std::string represented_id;         // the person the form is about
  std::vector<std::string> evidence;  // attachment codes scanned
  bool assisted_by_staff = false;
  bool manual_processing = false;  // no digital route: a caseworker handles it
};

struct PrintRequest {
  PrintKind kind = PrintKind::FilledForm;
  std::string form_id;
  std::string language = "nb";
  std::string submission_id;
  forms::Answers answers;  // empty for a blank form
  bool large_print = false;
  std::string receipt_reference;  // for receipts
  // Set by the flow, echoed in the result: the result of a print the person left behind (a
  // wipe) or of another print (the form and a receipt) is never taken for this one's.
  std::uint64_t ticket = 0;
};

struct PrintResult {
  Outcome outcome = Outcome::Failed;
  std::string message_key;         // translation key said to the person when not Done
  std::string detail;              // for logs and the demo summary; never personal data
  std::filesystem::path document;  // the PDF that was printed, when the printer keeps one
  std::uint64_t ticket = 0;        // the request's
};

struct ScanRequest {
  std::string submission_id;     // empty when scanning a form filled at home
  std::string expected_form_id;  // empty: identify the form from the page
  std::string evidence_code;     // non-empty: scan an attachment, not a form
  bool next_page = false;        // the next page of the form being scanned: keep the earlier pages
  // The answers the kiosk printed on the sheet (empty for a blank form or one filled at home):
  // the scanner compares each pre-printed box with them instead of reading it back.
  forms::Answers printed;
  // Set by the flow, echoed in the result: a result for an older ticket (a scan that was still
  // running when the session was wiped) belongs to nobody and is discarded.
  std::uint64_t ticket = 0;
};

// One field as the scanner read it.
struct ReadField {
  std::string link_id;
  std::string value;  // as read, in display form
  double confidence = 0.0;
  bool needs_review = false;
  // The kiosk printed this value and the box shows exactly that: never asked about.
  bool printed = false;
  // Why it needs review, when it does ("changed-by-hand", "crossed-out", "required-empty", a
  // reader's reason); "" otherwise. Chooses the question the person is asked.
  std::string reason;
  // The field's area on the sheet as a small grey picture (row-major, 8 bit), shown to staff
  // beside the read value. Empty when the scanner kept none. Personal data: wiped with the session.
  int crop_width = 0, crop_height = 0;
  std::vector<unsigned char> crop_grey;
};

struct ScanResult {
  Outcome outcome = Outcome::Failed;
  std::string message_key;
  std::string detail;
  std::string form_id;  // identified form
  std::string submission_id;
  std::vector<ReadField> fields;
  bool signature_found = false;
  std::vector<std::filesystem::path> pages;  // scanned images (PNG/PNM)
  // Which pages of the form this scan found (1-based), how many the form has, and pages
  // found twice in this scan. The flow asks for the pages still missing and assembles them.
  std::vector<int> pages_found;
  std::vector<int> pages_duplicate;
  int page_count = 0;
  // Not empty: no key of this kiosk vouches for the sheet's QR code ("qr-unknown-key": printed
  // with a key this kiosk does not have; "qr-forged": the code was altered). Held for staff.
  std::string key_problem;
  std::uint64_t ticket = 0;  // the request's
};

struct Submission {
  std::string submission_id;
  std::string form_id;
  std::string form_version;
  std::string language;
  forms::Answers answers;
  Representation representation;
  std::vector<std::filesystem::path> pages;  // scanned form pages
  std::vector<std::filesystem::path> evidence_pages;
  std::string assisted_by;       // staff member who filled it in at the desk, empty when the citizen was alone
  std::string assisted_by_name;  // the member's name for the Provenance (empty for a shared-PIN staff session)
  // Who is audited for it: the citizen ("kiosk"), the member ("1001") or the staff session ("staff-3fa9c1").
  std::string actor = "kiosk";
  // Non-empty: keep the sheet for staff review instead of sending it ("kiosk": the citizen
  // left it for staff; "desk": staff scanned it at the desk). What was read goes with it.
  std::string hold_source;
  std::vector<ReadField> read_fields;
  bool signature_found = false;
  // Set when this submission is a held sheet that staff decided on: its pages are in the
  // store (not in `pages`), and the held sheet is deleted once the submission is committed.
  std::string held_reference;
  // Set by the flow, echoed in the result: a commit's result that arrives after a wipe (the
  // person left while it ran) must not become the next person's receipt.
  std::uint64_t ticket = 0;
};

// A sheet held for staff review, as the review queue lists it: no health data, no identity numbers.
struct HeldSheetInfo {
  std::string reference;
  std::string form_id;
  std::string source;  // "kiosk" or "desk"
  std::string created_at;
  int fields_to_check = 0;
};

struct OutboxResult {
  Outcome outcome = Outcome::Failed;
  std::string message_key;
  std::string detail;
  std::string reference;     // the receipt's reference number
  bool delivered = false;    // the platform has accepted it
  bool queued = false;       // committed, waiting to be sent
  bool held = false;         // kept for staff review (reference is the held sheet's)
  std::uint64_t ticket = 0;  // the submission's
};

// Staff mode's view of the queue: list it, send a message again, give one up.
struct StaffRequest {
  // List/Retry/Cancel: the outbox. ListHeld/OpenHeld/RejectHeld: the sheets held for review
  // (reject discards the sheet: it is deleted from the store).
  enum class Kind { List, Retry, Cancel, ListHeld, OpenHeld, RejectHeld } kind = Kind::List;
  std::string reference;  // for Retry, Cancel, OpenHeld, RejectHeld
  std::string actor;      // for the audit log
};

// One queued submission as staff see it: no health data, no identity numbers.
struct QueueEntry {
  std::string reference;
  std::string form_id;
  std::string status;  // queued, sent, accepted, rejected, parked, cancelled
  int attempts = 0;
  std::string last_error;
};

struct StaffResult {
  Outcome outcome = Outcome::Failed;
  std::string message_key;
  std::string detail;
  std::vector<QueueEntry> entries;   // the queue after the request
  std::vector<HeldSheetInfo> held;   // the sheets held for review after the request (the *Held kinds)
  std::optional<Submission> opened;  // OpenHeld: the sheet with what was read (personal data)
  // The delivery worker (the delivery unit, not this process) has not run for a while, so nothing
  // is sent: staff are told. sending_last_run: when it last ran (ISO 8601 UTC), empty when never.
  bool sending_stopped = false;
  std::string sending_last_run;
};

class PrintService {
 public:
  virtual ~PrintService() = default;
  virtual bool available() const = 0;
  virtual void start(PrintRequest request) = 0;
  virtual std::optional<PrintResult> poll() = 0;
};

class ScanService {
 public:
  virtual ~ScanService() = default;
  virtual bool available() const = 0;
  virtual void start(ScanRequest request) = 0;
  virtual std::optional<ScanResult> poll() = 0;
  // The session is wiped: every page the service keeps goes now, except `keep` (pages handed
  // to an outbox commit still running, which deletes them itself). A scan still running is
  // discarded when it ends, its pages deleted.
  virtual void wipe(const std::vector<std::filesystem::path>& keep) { (void)keep; }
};

class OutboxService {
 public:
  virtual ~OutboxService() = default;
  virtual bool available() const = 0;
  virtual void commit(Submission submission) = 0;
  virtual std::optional<OutboxResult> poll() = 0;
  // Staff requests (audited by the outbox). An outbox that is not built in answers "unavailable".
  virtual void staff(StaffRequest) { staff_pending_ = true; }
  virtual std::optional<StaffResult> poll_staff();
  // Records a staff action in the store's audit table (who, what, which reference; never
  // health data or identity numbers). An outbox that is not built in has no store: nothing.
  virtual void audit(const std::string& actor, const std::string& action, const std::string& reference) {
    (void)actor, (void)action, (void)reference;
  }

 private:
  bool staff_pending_ = false;
};

// Reads the screen's text aloud. The UI implements it with espeak-ng and SDL2 audio.
class Speaker {
 public:
  virtual ~Speaker() = default;
  virtual void speak(const std::string& text, const std::string& language) = 0;
  virtual void stop() = 0;
};

// Stand-ins for parts that are not built into this kiosk: every request answers
// "unavailable" with a message the person can understand.
class UnavailablePrinter final : public PrintService {
 public:
  bool available() const override { return false; }
  void start(PrintRequest request) override {
    pending_ = true;
    ticket_ = request.ticket;
  }
  std::optional<PrintResult> poll() override;

 private:
  bool pending_ = false;
  std::uint64_t ticket_ = 0;
};

class UnavailableScanner final : public ScanService {
 public:
  bool available() const override { return false; }
  void start(ScanRequest request) override {
    pending_ = true;
    ticket_ = request.ticket;
  }
  std::optional<ScanResult> poll() override;

 private:
  bool pending_ = false;
  std::uint64_t ticket_ = 0;  // echoed, or the flow takes the answer for an old scan's and drops it
};

class UnavailableOutbox final : public OutboxService {
 public:
  bool available() const override { return false; }
  void commit(Submission submission) override;
  std::optional<OutboxResult> poll() override;

 private:
  bool pending_ = false;
  std::uint64_t ticket_ = 0;
};

class SilentSpeaker final : public Speaker {
 public:
  void speak(const std::string&, const std::string&) override {}
  void stop() override {}
};

}  // namespace kiosk::flow

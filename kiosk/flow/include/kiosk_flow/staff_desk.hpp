#pragma once
// Staff mode's own room: sign-in (staff number and PIN, checked on a worker), the outbox queue
// and the review queue of held sheets. The flow owns one StaffDesk and moves between screens;
// the desk keeps who is signed in and what the staff lists show. UI-free.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"
#include "kiosk_flow/staff_lock.hpp"

namespace kiosk::flow {

// What staff touched in staff mode. Screens only produce these; the flow applies them.
namespace intent::staff {
struct ShowQueue {};       // the outbox queue: retry, cancel, reprint a receipt
struct Retry {};           // the queue entry shown
struct Cancel {};          // the queue entry shown
struct NextEntry {};       // the next queue entry (or held sheet)
struct ReprintReceipt {};  // the queue entry shown
struct Assist {};          // fill in a form for a citizen at the desk
struct ShowHeld {};        // the review queue: sheets held for staff
struct PickHeld {          // a sheet picked from the list, by its reference (the list may change)
  std::string reference;
};
struct BackToHeldList {};
struct MoreHeld {};
struct OpenHeld {};     // the picked sheet: its uncertain values checked one by one
struct RejectHeld {};   // the picked sheet is discarded
struct ScanAtDesk {};   // a sheet brought to the desk, scanned into the review queue
struct RejectField {};  // reviewing a held sheet: the value read is rejected
struct ShowDevices {};  // printer, scanner and outbox state
}  // namespace intent::staff

using StaffIntent = std::variant<intent::staff::ShowQueue, intent::staff::Retry, intent::staff::Cancel,
                                 intent::staff::NextEntry, intent::staff::ReprintReceipt, intent::staff::Assist,
                                 intent::staff::ShowHeld, intent::staff::PickHeld, intent::staff::BackToHeldList,
                                 intent::staff::MoreHeld, intent::staff::OpenHeld, intent::staff::RejectHeld,
                                 intent::staff::ScanAtDesk, intent::staff::RejectField, intent::staff::ShowDevices>;

// A short name for logs (the reference of a picked sheet is no personal data).
std::string describe(const StaffIntent& intent);

// The staff review list shows this many held sheets at a time (with "more" and "scan").
inline constexpr size_t kHeldRowsPerScreen = 3;

class StaffDesk {
 public:
  using Clock = std::chrono::steady_clock;
  using Log = std::function<void(const std::string&)>;

  // `lock` is shared with the sign-in worker's jobs; `outbox` answers staff requests and keeps
  // the audit table; `directory` holds the staff members.
  StaffDesk(std::shared_ptr<StaffLock> lock, std::shared_ptr<StaffDirectory> directory,
            std::shared_ptr<OutboxService> outbox, Log log);
  StaffDesk(const StaffDesk&) = delete;
  StaffDesk& operator=(const StaffDesk&) = delete;

  // ---- Sign-in ----
  // Staff mode opens on the sign-in screen: whether members exist decides the steps (fail
  // closed: when the members cannot be read, a member's number is asked).
  void open();
  bool members() const { return members_; }
  // Members type their staff number first; it is kept while the PIN is asked.
  bool asks_number() const { return members_ && number_.empty(); }
  const std::string& number() const { return number_; }
  size_t max_typed() const { return asks_number() ? 8 : 12; }
  // "Next" on the sign-in screen with what was typed (taken and wiped): the number step, or the
  // PIN handed to the sign-in worker. Returns the error to show ("" when none).
  std::string next(std::string& typed, Clock::time_point now);
  // Back on the PIN step of a member: to the number step. False when there is no such step.
  bool back_to_number();
  bool checking() const { return checking_; }
  // A check still running gives no result (a wipe, or Back to the staff number).
  void discard_check();
  // PIN checks that came back. For the one still awaited: whether staff are now signed in,
  // and the error to show on the sign-in screen.
  struct SignInStep {
    bool signed_in = false;
    std::string error_key;
  };
  std::optional<SignInStep> collect_sign_in();

  bool unlocked() const { return unlocked_; }
  // Staff mode is locked again (assisting a citizen keeps the member for the Provenance).
  void lock() { unlocked_ = false; }
  // Who is signed in, in the audit table: the member's staff number ("1001"), or for the shared
  // PIN this staff session ("staff-3fa9c1"). The name is the member's (empty for the shared PIN).
  const std::string& actor() const { return actor_; }
  const std::string& name() const { return name_; }
  // Audits a staff action under the signed-in actor (the shared PIN when none).
  void audit(const std::string& action, const std::string& reference = "");

  // ---- The outbox queue and the review queue ----
  // Asks the outbox: the queue, the held sheets, or an action on the entry or sheet picked.
  void request(StaffRequest::Kind kind);
  // The queue list, or the held sheets from their start.
  void show_queue();
  void show_held();
  bool busy() const { return busy_; }
  const std::optional<StaffResult>& result() const { return result_; }
  bool held_view() const { return held_view_; }
  bool held_picked() const { return held_picked_; }
  size_t held_first() const { return held_first_; }
  size_t entry() const { return entry_; }
  // The queue entry shown, when there is one.
  const QueueEntry* shown_entry() const;
  void next_entry();
  void pick_held(const std::string& reference);
  void back_to_held_list() { held_picked_ = false; }
  void more_held();
  // A staff answer that came back (tick). An answer after a wipe or lock is dropped; the held
  // sheet opened comes back for the flow to load (personal data: the caller owns it now).
  std::optional<Submission> collect_answer();

  // The info screen shown (e.g. "devices").
  const std::string& info() const { return info_; }
  void show_info(std::string key) { info_ = std::move(key); }

  // Signs out (audited) and forgets everything: number, actor, lists, checks in flight.
  void wipe();

 private:
  void start_check(std::string pin, Clock::time_point now);
  std::optional<SignInStep> checked(SignInOutcome outcome);
  void signed_in(std::string actor, std::string name);
  void audit_as(const std::string& actor, const std::string& action, const std::string& reference = "");

  std::shared_ptr<StaffLock> lock_;  // used only by jobs on worker_ (one at a time)
  std::shared_ptr<StaffDirectory> directory_;
  std::shared_ptr<OutboxService> outbox_;
  Log log_;

  bool unlocked_ = false;
  std::string actor_;
  std::string name_;
  bool members_ = false;
  std::string number_;
  // The PIN check in progress; outcomes of an older generation (before a wipe) are discarded.
  bool checking_ = false;
  std::uint64_t generation_ = 0;

  bool busy_ = false;
  std::optional<StaffResult> result_;
  size_t entry_ = 0;        // the queue entry (or held sheet) shown
  bool held_view_ = false;  // the list shows the sheets held for review
  // The held sheets are listed a few at a time from held_first_; staff pick one (entry_) to
  // open or reject it.
  bool held_picked_ = false;
  size_t held_first_ = 0;
  std::string info_;

  // Made at the first sign-in; last, so it stops (and its job ends) before the rest goes.
  std::unique_ptr<AsyncWorker<SignInOutcome>> worker_;
};

}  // namespace kiosk::flow

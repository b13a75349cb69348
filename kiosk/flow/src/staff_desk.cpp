#include "kiosk_flow/staff_desk.hpp"

#include <exception>

#include "flow_helpers.hpp"
#include "kiosk_flow/session.hpp"
#include "random_id.hpp"

namespace kiosk::flow {

std::string describe(const StaffIntent& intent) {
  namespace s = intent::staff;
  return std::visit(detail::Overloaded{
                        [](const s::ShowQueue&) { return std::string("queue"); },
                        [](const s::Retry&) { return std::string("retry"); },
                        [](const s::Cancel&) { return std::string("cancel"); },
                        [](const s::NextEntry&) { return std::string("next-entry"); },
                        [](const s::ReprintReceipt&) { return std::string("reprint-receipt"); },
                        [](const s::Assist&) { return std::string("assist"); },
                        [](const s::ShowHeld&) { return std::string("review"); },
                        [](const s::PickHeld& i) { return "pick-held:" + i.reference; },
                        [](const s::BackToHeldList&) { return std::string("held-list"); },
                        [](const s::MoreHeld&) { return std::string("more-held"); },
                        [](const s::OpenHeld&) { return std::string("open-held"); },
                        [](const s::RejectHeld&) { return std::string("reject-held"); },
                        [](const s::ScanAtDesk&) { return std::string("scan-desk"); },
                        [](const s::RejectField&) { return std::string("reject-field"); },
                        [](const s::ShowDevices&) { return std::string("devices"); },
                    },
                    intent);
}

StaffDesk::StaffDesk(std::shared_ptr<StaffLock> lock, std::shared_ptr<StaffDirectory> directory,
                     std::shared_ptr<OutboxService> outbox, Log log)
    : lock_(std::move(lock)), directory_(std::move(directory)), outbox_(std::move(outbox)), log_(std::move(log)) {}

void StaffDesk::open() {
  wipe_string(number_);
  try {
    members_ = directory_->has_members();
  } catch (const std::exception& e) {
    // Fail closed: ask for a member's number (the shared PIN does not open).
    log_(std::string("staff sign-in: the staff members cannot be read: ") + e.what());
    members_ = true;
  }
}

std::string StaffDesk::next(std::string& typed_buffer, Clock::time_point now) {
  std::string typed = std::move(typed_buffer);
  wipe_string(typed_buffer);
  if (asks_number()) {
    // The staff number step. Whether the number exists is not said here: only the PIN tells.
    if (typed.empty() || typed.size() > 8 || typed.find_first_not_of("0123456789") != std::string::npos) {
      wipe_string(typed);
      return "ui.staff.number-invalid";
    }
    number_ = std::move(typed);
    return "";
  }
  start_check(std::move(typed), now);
  wipe_string(typed);  // a short PIN's bytes stay in a moved-from string's own buffer
  return "";
}

bool StaffDesk::back_to_number() {
  if (number_.empty()) return false;
  wipe_string(number_);
  return true;
}

void StaffDesk::start_check(std::string pin, Clock::time_point now) {
  if (!worker_) worker_ = std::make_unique<AsyncWorker<SignInOutcome>>();
  checking_ = true;
  // On the heap, shared: the PIN is never copied or moved (moving a short string leaves its bytes behind).
  auto attempt = std::make_shared<SignInAttempt>();
  attempt->member = members_;
  if (members_) attempt->staff_number = number_;
  attempt->pin.swap(pin);
  attempt->now = now;
  wipe_string(pin);
  const auto generation = generation_;
  // The job holds the lock and the directory too: the worker stops before the desk's copies go.
  worker_->post([lock = lock_, directory = directory_, attempt, generation] {
    auto outcome = sign_in(*lock, *directory, *attempt);
    outcome.generation = generation;
    return outcome;
  });
}

void StaffDesk::discard_check() {
  checking_ = false;
  ++generation_;
}

std::optional<StaffDesk::SignInStep> StaffDesk::collect_sign_in() {
  std::optional<SignInStep> step;
  if (worker_)
    while (auto outcome = worker_->poll())
      if (auto s = checked(std::move(*outcome))) step = std::move(s);
  return step;
}

std::optional<StaffDesk::SignInStep> StaffDesk::checked(SignInOutcome outcome) {
  const bool current = checking_ && outcome.generation == generation_;
  if (current) checking_ = false;
  const bool member = !outcome.staff_number.empty();
  // Wrong PINs and lock-outs are audited even when the person left meanwhile: they happened.
  const std::string actor = member ? outcome.staff_number : std::string("staff-pin");
  auto shown = [current](std::string key) -> std::optional<SignInStep> {
    if (!current) return std::nullopt;
    return SignInStep{false, std::move(key)};
  };
  if (outcome.unavailable) {
    log_("staff sign-in: the staff members cannot be read: " + outcome.problem);
    return shown("ui.staff.sign-in-unavailable");
  }
  if (!outcome.problem.empty()) log_("staff sign-in: " + outcome.problem);
  switch (outcome.result) {
    case StaffLock::Result::Unlocked: {
      if (!current) {
        log_("staff sign-in: the PIN was right, but the sign-in was left during the check; not signed in");
        return std::nullopt;
      }
      if (member) {
        signed_in(std::move(outcome.staff_number), std::move(outcome.name));
        return SignInStep{true, ""};
      }
      // A reference for this staff session in the audit table (one PIN is shared).
      signed_in("staff-" + random_hex(3), "");
      return SignInStep{true, ""};
    }
    case StaffLock::Result::WrongPin:
      // Audited under the number that was typed: who was tried, never the PIN.
      if (!member) log_("audit: wrong staff PIN");
      audit_as(actor, "staff-wrong-pin");
      return shown(member ? "ui.staff.wrong-number-or-pin" : "ui.staff.wrong-pin");
    case StaffLock::Result::LockedOut:
      if (!member) log_("audit: staff mode locked out after repeated wrong PINs");
      audit_as(actor, "staff-lock-out");
      if (!current) return std::nullopt;
      if (member) wipe_string(number_);  // back to the number step
      return shown("ui.staff.locked-out");
    case StaffLock::Result::NoPinSet:
      if (member) audit_as(actor, "staff-lock-out");  // a member without a hash: as before
      if (!current) return std::nullopt;
      if (member) wipe_string(number_);
      return shown(member ? "ui.staff.locked-out" : "ui.staff.no-pin");
  }
  return std::nullopt;
}

void StaffDesk::signed_in(std::string actor, std::string name) {
  unlocked_ = true;
  actor_ = std::move(actor);
  name_ = std::move(name);
  wipe_string(number_);
  log_("audit: staff mode unlocked");
  audit("staff-sign-in");
}

void StaffDesk::audit(const std::string& action, const std::string& reference) {
  audit_as(actor_.empty() ? "staff-pin" : actor_, action, reference);
}

void StaffDesk::audit_as(const std::string& actor, const std::string& action, const std::string& reference) {
  log_("audit: " + actor + " " + action + (reference.empty() ? "" : " " + reference));
  outbox_->audit(actor, action, reference);
}

void StaffDesk::request(StaffRequest::Kind kind) {
  StaffRequest req;
  req.kind = kind;
  req.actor = actor_;
  using K = StaffRequest::Kind;
  if (kind == K::Retry || kind == K::Cancel) {
    if (!result_ || entry_ >= result_->entries.size()) return;
    req.reference = result_->entries[entry_].reference;
  } else if (kind == K::OpenHeld || kind == K::RejectHeld) {
    if (!result_ || entry_ >= result_->held.size()) return;
    req.reference = result_->held[entry_].reference;
  }
  // A new list (after a decision, too) is shown from its start.
  if (kind == K::ListHeld || kind == K::RejectHeld) {
    held_picked_ = false;
    held_first_ = 0;
  }
  busy_ = true;
  outbox_->staff(std::move(req));
}

void StaffDesk::show_queue() {
  held_view_ = false;
  entry_ = 0;
  request(StaffRequest::Kind::List);
}

void StaffDesk::show_held() {
  held_view_ = true;
  entry_ = 0;
  request(StaffRequest::Kind::ListHeld);
}

const QueueEntry* StaffDesk::shown_entry() const {
  if (!result_ || entry_ >= result_->entries.size()) return nullptr;
  return &result_->entries[entry_];
}

void StaffDesk::next_entry() {
  const size_t count = !result_ ? 0 : held_view_ ? result_->held.size() : result_->entries.size();
  if (count > 0) entry_ = (entry_ + 1) % count;
}

void StaffDesk::pick_held(const std::string& reference) {
  if (!result_) return;
  const auto& held = result_->held;
  for (size_t k = 0; k < held.size(); ++k)
    if (held[k].reference == reference) {
      entry_ = k;
      held_picked_ = true;
    }
}

void StaffDesk::more_held() {
  const size_t count = result_ ? result_->held.size() : 0;
  held_first_ += kHeldRowsPerScreen;
  if (held_first_ >= count) held_first_ = 0;
}

std::optional<Submission> StaffDesk::collect_answer() {
  auto r = outbox_->poll_staff();
  if (!r) return std::nullopt;
  std::optional<Submission> opened;
  if (busy_ && unlocked_) {
    log_("staff queue: " + r->detail);
    result_ = std::move(*r);
    const size_t count = held_view_ ? result_->held.size() : result_->entries.size();
    if (entry_ >= count) entry_ = 0;
    if (result_->opened) {
      opened = std::move(result_->opened);
      result_->opened.reset();
    }
  } else if (r->opened) {
    r->opened->answers.wipe();
  }
  busy_ = false;
  return opened;
}

void StaffDesk::wipe() {
  if (!actor_.empty()) {
    audit("staff-sign-out");
    wipe_string(actor_);
  }
  wipe_string(name_);
  wipe_string(number_);
  members_ = false;
  held_view_ = held_picked_ = false;
  held_first_ = 0;
  info_.clear();
  busy_ = false;
  discard_check();
  result_.reset();
  entry_ = 0;
  unlocked_ = false;
}

}  // namespace kiosk::flow

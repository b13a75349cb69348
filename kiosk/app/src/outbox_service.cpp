#include "outbox_service.hpp"

#include "kiosk_app/memory.hpp"

#include <ctime>
#include <fstream>
#include <iterator>
#include <system_error>

#include "kiosk_staff/held.hpp"
#include "outbox/health.hpp"
#include "outbox/outbox.hpp"
#include "store/delivery_state.hpp"
#include "store/held_sheets.hpp"
#include "store/store.hpp"

namespace kiosk::app {

namespace {

outbox::Bytes read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the scanned page " + file.filename().string());
  return outbox::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

flow::QueueEntry to_entry(const outbox::Entry& e) {
  return {e.reference, e.form_id, outbox::to_string(e.status), e.attempts, e.last_error};
}

}  // namespace

LibraryOutbox::LibraryOutbox(const Config& config) : config_(config), deliver_(config.is_set("broker.url")) {
  worker_.post([this] {
    try {
      open();
    } catch (const std::exception& e) {
      open_error_ = e.what();  // said again with the first commit; the kiosk keeps running
    }
    return Event{};
  });
}

LibraryOutbox::~LibraryOutbox() = default;

void LibraryOutbox::open() {
  if (outbox_) return;
  outbox_ = std::make_unique<outbox::Outbox>(config_);
  open_error_.clear();
}

void LibraryOutbox::commit(flow::Submission submission) {
  worker_.post([this, submission = std::move(submission)]() mutable {
    Event event;
    event.commit = run_commit(submission);
    event.commit->ticket = submission.ticket;
    submission.answers.wipe();
    // The pages read in, the bundle and its sealed copy are freed: give the pages back.
    release_free_heap();
    return event;
  });
}

flow::OutboxResult LibraryOutbox::run_commit(flow::Submission& submission) {
  flow::OutboxResult result;
  try {
    open();
    if (!submission.hold_source.empty()) {
      // Kept for staff review, not sent: sealed in the store until staff decide.
      const auto held = staff::hold_sheet(outbox_->store(), submission);
      result.outcome = flow::Outcome::Done;
      result.reference = held.reference;
      result.held = true;
      result.detail = "held for staff review as " + held.reference;
      return result;
    }
    outbox::NewSubmission fresh;
    fresh.form_id = submission.form_id;
    fresh.answers = submission.answers;
    std::optional<store::HeldSheet> held;
    if (!submission.held_reference.empty()) {
      // A held sheet staff decided on: its pages are in the store.
      store::HeldSheets sheets(outbox_->store());
      held = sheets.find(submission.held_reference);
      if (!held) throw std::runtime_error("the held sheet " + submission.held_reference + " is no longer there");
      fresh.pages = sheets.pages(held->id);
      fresh.settles_held_sheet = held->id;
    }
    for (const auto& page : submission.pages) fresh.pages.push_back(read_file(page));
    for (const auto& page : submission.evidence_pages) fresh.pages.push_back(read_file(page));
    const auto& r = submission.representation;
    if (r.type != "self" && !r.type.empty())
      fresh.representation = outbox::RepresentationInfo{r.type, r.representative_id, r.represented_id, r.evidence};
    fresh.assisted_by = submission.assisted_by;
    fresh.assisted_by_name = submission.assisted_by_name;
    fresh.sheet_id = submission.submission_id;  // the idempotency key: a sheet scanned twice is sent once
    const auto committed = outbox_->commit_submission(fresh, submission.actor);
    fresh.answers.wipe();
    if (held) {
      // Decided: the held copy went in the commit's transaction (the submission is sealed in its place).
      outbox_->store().audit(submission.actor, "review-sent", held->reference, "committed as " + committed.reference);
    }
    // The pages are in the encrypted store now: the plain files go.
    std::error_code ec;
    for (const auto& page : submission.pages) std::filesystem::remove(page, ec);
    for (const auto& page : submission.evidence_pages) std::filesystem::remove(page, ec);
    result.outcome = flow::Outcome::Done;
    result.reference = committed.reference;
    result.queued = true;
    if (committed.sent_before) {
      result.message_key = "ui.receipt.title.sent-before";  // said on the receipt screen
      result.detail = "the sheet was committed before as " + committed.reference + "; not sent again";
    } else {
      result.detail = "committed as " + committed.reference +
                      (deliver_ ? ", queued for the delivery service" : ", queued (no broker is configured)");
    }
  } catch (const std::exception& e) {
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.send.failed";
    result.detail = std::string("not committed: ") + e.what();
  }
  return result;
}

std::optional<flow::OutboxResult> LibraryOutbox::poll() {
  drain();
  if (commits_.empty()) return std::nullopt;
  auto r = std::move(commits_.front());
  commits_.pop_front();
  return r;
}

void LibraryOutbox::staff(flow::StaffRequest request) {
  worker_.post([this, request = std::move(request)] {
    Event event;
    event.staff = run_staff(request);
    return event;
  });
}

flow::StaffResult LibraryOutbox::run_staff(const flow::StaffRequest& request) {
  flow::StaffResult result;
  try {
    open();
    using K = flow::StaffRequest::Kind;
    const bool held_kind = request.kind == K::ListHeld || request.kind == K::OpenHeld || request.kind == K::RejectHeld;
    if (request.kind == K::Retry) outbox_->retry(request.reference, request.actor);
    if (request.kind == K::Cancel) outbox_->cancel(request.reference, request.actor);
    if (request.kind == K::OpenHeld)
      result.opened = staff::open_held(outbox_->store(), request.reference, request.actor);
    if (request.kind == K::RejectHeld) staff::reject_held(outbox_->store(), request.reference, request.actor);
    if (held_kind)
      result.held = staff::list_held(outbox_->store());
    else
      for (const auto& e : outbox_->list()) result.entries.push_back(to_entry(e));
    if (deliver_) {
      // The delivery unit writes a sign of life into the store; none for minutes: staff hear it.
      const auto sending = store::sending_state(outbox_->store().db(), store::now_ms());
      if (!sending.running) {
        result.sending_stopped = true;
        if (sending.last) result.sending_last_run = outbox::iso_utc(sending.last->last_run_ms);
      }
    }
    result.outcome = flow::Outcome::Done;
    switch (request.kind) {
      case K::List:
        result.detail = "queue listed";
        break;
      case K::Retry:
        result.detail = "retry " + request.reference;
        break;
      case K::Cancel:
        result.detail = "cancel " + request.reference;
        break;
      case K::ListHeld:
        result.detail = "review queue listed";
        break;
      case K::OpenHeld:
        result.detail = "opened " + request.reference + " for review";
        break;
      case K::RejectHeld:
        result.detail = "rejected and deleted " + request.reference;
        break;
    }
  } catch (const store::StoreError& e) {
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.staff.failed";
    result.detail = e.what();
  } catch (const outbox::OutboxError& e) {
    result.outcome = flow::Outcome::Failed;
    result.message_key = e.kind() == outbox::OutboxError::Kind::NotAllowed ? "ui.staff.not-allowed" : "ui.staff.failed";
    result.detail = e.what();
  } catch (const std::exception& e) {
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.staff.failed";
    result.detail = e.what();
  }
  return result;
}

void LibraryOutbox::audit(const std::string& actor, const std::string& action, const std::string& reference) {
  worker_.post([this, actor, action, reference] {
    try {
      open();
      outbox_->store().audit(actor, action, reference);
    } catch (const std::exception& e) {
      open_error_ = e.what();  // the kiosk log line remains; the store is not there
    }
    return Event{};
  });
}

std::optional<flow::StaffResult> LibraryOutbox::poll_staff() {
  drain();
  if (staff_results_.empty()) return std::nullopt;
  auto r = std::move(staff_results_.front());
  staff_results_.pop_front();
  return r;
}

void LibraryOutbox::drain() {
  while (auto event = worker_.poll()) {
    if (event->commit) commits_.push_back(std::move(*event->commit));
    if (event->staff) staff_results_.push_back(std::move(*event->staff));
  }
}

}  // namespace kiosk::app

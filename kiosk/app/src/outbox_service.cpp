#include "outbox_service.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

#include "outbox/delivery.hpp"
#include "outbox/outbox.hpp"
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

LibraryOutbox::~LibraryOutbox() {
  if (delivery_) delivery_->request_stop();
}

void LibraryOutbox::open() {
  if (outbox_) return;
  outbox_ = std::make_unique<outbox::Outbox>(config_);
  open_error_.clear();
  if (deliver_ && !delivery_) {
    delivery_ = std::make_unique<outbox::DeliveryWorker>(config_, outbox::DeliveryOptions{});
    delivery_->start();
  }
}

void LibraryOutbox::commit(flow::Submission submission) {
  worker_.post([this, submission = std::move(submission)]() mutable {
    Event event;
    event.commit = run_commit(submission);
    submission.answers.wipe();
    return event;
  });
}

flow::OutboxResult LibraryOutbox::run_commit(flow::Submission& submission) {
  flow::OutboxResult result;
  try {
    open();
    outbox::NewSubmission fresh;
    fresh.form_id = submission.form_id;
    fresh.answers = submission.answers;
    for (const auto& page : submission.pages) fresh.pages.push_back(read_file(page));
    for (const auto& page : submission.evidence_pages) fresh.pages.push_back(read_file(page));
    const auto& r = submission.representation;
    if (r.type != "self" && !r.type.empty())
      fresh.representation = outbox::RepresentationInfo{r.type, r.representative_id, r.represented_id, r.evidence};
    fresh.assisted_by = submission.assisted_by;
    const auto committed =
        outbox_->commit_submission(fresh, submission.assisted_by.empty() ? "kiosk" : submission.assisted_by);
    fresh.answers.wipe();
    // The pages are in the encrypted store now: the plain files go.
    std::error_code ec;
    for (const auto& page : submission.pages) std::filesystem::remove(page, ec);
    for (const auto& page : submission.evidence_pages) std::filesystem::remove(page, ec);
    result.outcome = flow::Outcome::Done;
    result.reference = committed.reference;
    result.queued = true;
    result.detail = "committed as " + committed.reference +
                    (deliver_ ? ", queued for delivery to the platform" : ", queued (no broker is configured)");
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
    if (request.kind == K::Retry) outbox_->retry(request.reference, request.actor);
    if (request.kind == K::Cancel) outbox_->cancel(request.reference, request.actor);
    for (const auto& e : outbox_->list()) result.entries.push_back(to_entry(e));
    result.outcome = flow::Outcome::Done;
    result.detail = request.kind == K::List    ? "queue listed"
                    : request.kind == K::Retry ? "retry " + request.reference
                                               : "cancel " + request.reference;
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

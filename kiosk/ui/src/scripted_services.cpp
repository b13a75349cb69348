#include "kiosk_ui/scripted_services.hpp"

#include <algorithm>

namespace kiosk::ui {

void ScriptedPrinter::start(flow::PrintRequest request) {
  pending_.push_back(request.ticket);
  requests.push_back(std::move(request));
}

std::optional<flow::PrintResult> ScriptedPrinter::poll() {
  if (pending_.empty() || hold) return std::nullopt;
  flow::PrintResult r;
  r.ticket = pending_.front();
  pending_.pop_front();
  r.outcome = outcome;
  r.detail = "scripted printer";
  if (outcome == flow::Outcome::Failed) r.message_key = "ui.print.failed";
  if (outcome == flow::Outcome::Unavailable) r.message_key = "ui.print.unavailable";
  return r;
}

void ScriptedScanner::start(flow::ScanRequest request) {
  last_ = std::move(request);
  requests.push_back(last_);
  pending_ = true;
}

std::optional<flow::ScanResult> ScriptedScanner::poll() {
  if (!pending_ || hold) return std::nullopt;
  pending_ = false;
  flow::ScanResult r;
  if (last_.evidence_code.empty() && !sequence.empty()) {
    r = sequence.front();
    sequence.erase(sequence.begin());
  } else if (last_.evidence_code.empty()) {
    r = result;
  }
  r.outcome = outcome;
  r.ticket = last_.ticket;
  r.detail = "scripted scanner";
  if (outcome == flow::Outcome::Failed) r.message_key = "ui.scan.failed";
  if (outcome == flow::Outcome::Unavailable) r.message_key = "ui.scan.unavailable";
  return r;
}

flow::ScanResult ScriptedScanner::read_back(const forms::Questionnaire& form, const forms::Answers& answers,
                                            bool first_uncertain) {
  flow::ScanResult r;
  r.outcome = flow::Outcome::Done;
  r.form_id = form.id;
  r.signature_found = true;
  bool first = true;
  for (const auto& [link, values] : answers.values) {
    if (values.empty()) continue;
    flow::ReadField f;
    f.link_id = link;
    f.value = values.front().to_display_string();
    f.confidence = first && first_uncertain ? 0.4 : 0.99;
    f.needs_review = first && first_uncertain;
    first = false;
    r.fields.push_back(std::move(f));
  }
  return r;
}

void ScriptedOutbox::commit(flow::Submission submission) {
  flow::OutboxResult r;
  r.outcome = outcome;
  r.ticket = submission.ticket;
  if (!submission.hold_source.empty() && outcome == flow::Outcome::Done) {
    r.held = true;
    r.reference = "RV-" + std::to_string(1000 + held.size() + submissions.size());
    r.detail = "scripted outbox: held for review as " + r.reference;
    submission.held_reference = r.reference;
    held.push_back(std::move(submission));
    pending_.push_back(std::move(r));
    return;
  }
  if (!submission.held_reference.empty() && outcome == flow::Outcome::Done)
    std::erase_if(held, [&](const flow::Submission& h) { return h.held_reference == submission.held_reference; });
  submissions.push_back(std::move(submission));
  r.detail = "scripted outbox";
  if (outcome == flow::Outcome::Done) {
    r.reference = "HK-" + std::to_string(1000 + submissions.size());
    r.delivered = delivered;
    r.queued = !delivered;
  }
  if (outcome == flow::Outcome::Failed) r.message_key = "ui.send.failed";
  if (outcome == flow::Outcome::Unavailable) r.message_key = "ui.send.unavailable";
  pending_.push_back(std::move(r));
}

void ScriptedOutbox::staff(flow::StaffRequest request) {
  if (outcome == flow::Outcome::Unavailable) {
    OutboxService::staff(std::move(request));
    return;
  }
  using K = flow::StaffRequest::Kind;
  flow::StaffResult r;
  r.outcome = flow::Outcome::Done;
  r.detail = "scripted staff request";
  auto found = std::find_if(held.begin(), held.end(),
                            [&](const flow::Submission& h) { return h.held_reference == request.reference; });
  if (request.kind == K::OpenHeld && found != held.end()) r.opened = *found;
  if (request.kind == K::RejectHeld && found != held.end()) held.erase(found);
  for (const auto& h : held) {
    int to_check = 0;
    for (const auto& f : h.read_fields) to_check += f.needs_review ? 1 : 0;
    r.held.push_back({h.held_reference, h.form_id, h.hold_source, "2026-11-25T12:00:00Z", to_check});
  }
  staff_result_ = std::move(r);
}

std::optional<flow::StaffResult> ScriptedOutbox::poll_staff() {
  if (outcome == flow::Outcome::Unavailable) return OutboxService::poll_staff();
  if (!staff_result_ || hold) return std::nullopt;
  auto r = std::move(staff_result_);
  staff_result_.reset();
  return r;
}

std::optional<flow::OutboxResult> ScriptedOutbox::poll() {
  if (pending_.empty() || hold) return std::nullopt;
  auto r = std::move(pending_.front());
  pending_.pop_front();
  return r;
}

}  // namespace kiosk::ui

#include "kiosk_ui/scripted_services.hpp"

namespace kiosk::ui {

void ScriptedPrinter::start(flow::PrintRequest request) {
  requests.push_back(std::move(request));
  ++pending_;
}

std::optional<flow::PrintResult> ScriptedPrinter::poll() {
  if (pending_ == 0 || hold) return std::nullopt;
  --pending_;
  flow::PrintResult r;
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
  if (last_.evidence_code.empty()) r = result;
  r.outcome = outcome;
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
  submissions.push_back(std::move(submission));
  pending_ = true;
}

std::optional<flow::OutboxResult> ScriptedOutbox::poll() {
  if (!pending_ || hold) return std::nullopt;
  pending_ = false;
  flow::OutboxResult r;
  r.outcome = outcome;
  r.detail = "scripted outbox";
  if (outcome == flow::Outcome::Done) {
    r.reference = "HK-" + std::to_string(1000 + submissions.size());
    r.delivered = delivered;
    r.queued = !delivered;
  }
  if (outcome == flow::Outcome::Failed) r.message_key = "ui.send.failed";
  if (outcome == flow::Outcome::Unavailable) r.message_key = "ui.send.unavailable";
  return r;
}

}  // namespace kiosk::ui

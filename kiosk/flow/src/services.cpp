#include "kiosk_flow/services.hpp"

namespace kiosk::flow {

std::optional<PrintResult> UnavailablePrinter::poll() {
  if (!pending_) return std::nullopt;
  pending_ = false;
  return PrintResult{Outcome::Unavailable, "ui.print.unavailable", "printing is not built into this kiosk", {}};
}

std::optional<ScanResult> UnavailableScanner::poll() {
  if (!pending_) return std::nullopt;
  pending_ = false;
  ScanResult r;
  r.outcome = Outcome::Unavailable;
  r.message_key = "ui.scan.unavailable";
  r.detail = "scanning is not built into this kiosk";
  return r;
}

void UnavailableOutbox::commit(Submission submission) {
  submission.answers.wipe();
  pending_ = true;
}

std::optional<StaffResult> OutboxService::poll_staff() {
  if (!staff_pending_) return std::nullopt;
  staff_pending_ = false;
  StaffResult r;
  r.outcome = Outcome::Unavailable;
  r.message_key = "ui.staff.queue-unavailable";
  r.detail = "the outbox is not built into this kiosk";
  return r;
}

std::optional<OutboxResult> UnavailableOutbox::poll() {
  if (!pending_) return std::nullopt;
  pending_ = false;
  OutboxResult r;
  r.outcome = Outcome::Unavailable;
  r.message_key = "ui.send.unavailable";
  r.detail = "the outbox is not built into this kiosk: nothing was sent or stored";
  return r;
}

}  // namespace kiosk::flow

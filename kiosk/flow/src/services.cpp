#include "kiosk_flow/services.hpp"

namespace kiosk::flow {

namespace {

// The stand-ins all answer a pending request once with "unavailable": the person hears the
// message key, the log gets the detail.
template <typename Result>
std::optional<Result> answer_unavailable(bool& pending, const char* message_key, const char* detail) {
  if (!pending) return std::nullopt;
  pending = false;
  Result result;
  result.outcome = Outcome::Unavailable;
  result.message_key = message_key;
  result.detail = detail;
  return result;
}

}  // namespace

std::optional<PrintResult> UnavailablePrinter::poll() {
  auto result =
      answer_unavailable<PrintResult>(pending_, "ui.print.unavailable", "printing is not built into this kiosk");
  if (result) result->ticket = ticket_;
  return result;
}

std::optional<ScanResult> UnavailableScanner::poll() {
  auto result =
      answer_unavailable<ScanResult>(pending_, "ui.scan.unavailable", "scanning is not built into this kiosk");
  if (result) result->ticket = ticket_;
  return result;
}

void UnavailableOutbox::commit(Submission submission) {
  submission.answers.wipe();
  pending_ = true;
  ticket_ = submission.ticket;
}

std::optional<StaffResult> OutboxService::poll_staff() {
  return answer_unavailable<StaffResult>(staff_pending_, "ui.staff.queue-unavailable",
                                         "the outbox is not built into this kiosk");
}

std::optional<OutboxResult> UnavailableOutbox::poll() {
  auto result = answer_unavailable<OutboxResult>(pending_, "ui.send.unavailable",
                                                 "the outbox is not built into this kiosk: nothing was sent or stored");
  if (result) result->ticket = ticket_;
  return result;
}

}  // namespace kiosk::flow

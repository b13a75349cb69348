#include <time.h>

#include <algorithm>
#include <cstdio>

#include "models/models.hpp"

namespace kiosk::flow::models {

namespace {

// When a sheet was held, as staff read it on the kiosk's clock: "25.11. 13:04". The store
// writes UTC ("2026-11-25T12:04:09Z"); anything else is shown as it is.
std::string held_time(const std::string& iso_utc) {
  std::tm utc{};
  if (std::sscanf(iso_utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                  &utc.tm_min, &utc.tm_sec) != 6)
    return iso_utc;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const time_t when = timegm(&utc);
  std::tm local{};
  if (when == static_cast<time_t>(-1) || !localtime_r(&when, &local)) return iso_utc;
  char text[48];
  std::snprintf(text, sizeof text, "%02d.%02d. %02d:%02d", local.tm_mday, local.tm_mon + 1, local.tm_hour,
                local.tm_min);
  return text;
}

// Sheets held for review: a list to pick from (form, when, values to check; no personal data),
// a few at a time; the picked sheet is opened or rejected.
void held_sheets(ScreenModel& m, const Words& w, const StaffDesk& desk, const std::vector<HeldSheetInfo>& held,
                 const forms::Catalogue& catalogue) {
  if (held.empty()) {
    m.body.push_back(w.t("ui.staff.review-empty", m));
  } else if (!desk.held_picked()) {
    const size_t first = desk.held_first() < held.size() ? desk.held_first() : 0;
    const size_t last = std::min(held.size(), first + kHeldRowsPerScreen);
    m.body.push_back(w.tf(
        "ui.staff.held.waiting",
        {{"n", std::to_string(held.size())}, {"from", std::to_string(first + 1)}, {"to", std::to_string(last)}}, m));
    for (size_t k = first; k < last; ++k) {
      const auto& h = held[k];
      const auto* q = catalogue.find(h.form_id);
      const std::string title = q ? w.form(q->title, "form:" + q->id + ":title", m) : h.form_id;
      m.rows.push_back(
          {"row.held." + std::to_string(k),
           w.tf("ui.staff.held.row",
                {{"title", title}, {"when", held_time(h.created_at)}, {"n", std::to_string(h.fields_to_check)}}, m),
           "", intent::StaffAction{intent::staff::PickHeld{h.reference}}, false});
    }
    if (held.size() > kHeldRowsPerScreen)
      m.choices.push_back({"choice.staff.more-held", w.t("ui.staff.held.more", m), "",
                           intent::StaffAction{intent::staff::MoreHeld{}}, false});
  } else {
    const auto& h = held[std::min(desk.entry(), held.size() - 1)];
    m.body.push_back({h.reference + "   " + h.form_id + "   " + held_time(h.created_at), true});
    m.body.push_back(w.t("ui.staff.held.source." + h.source, m));
    m.body.push_back(w.tf("ui.staff.held.to-check", {{"n", std::to_string(h.fields_to_check)}}, m));
    m.choices.push_back({"choice.staff.open-held", w.t("ui.staff.held.open", m), "",
                         intent::StaffAction{intent::staff::OpenHeld{}}, true});
    m.choices.push_back({"choice.staff.reject-held", w.t("ui.staff.held.reject", m), "",
                         intent::StaffAction{intent::staff::RejectHeld{}}, false});
    m.choices.push_back({"choice.staff.held-list", w.t("ui.staff.held.list", m), "",
                         intent::StaffAction{intent::staff::BackToHeldList{}}, false});
    return;
  }
  m.choices.push_back({"choice.staff.scan-desk", w.t("ui.staff.held.scan", m), "",
                       intent::StaffAction{intent::staff::ScanAtDesk{}}, false});
}

// The outbox queue, one entry at a time: its state, and retry, cancel or a receipt reprinted.
void queue_entries(ScreenModel& m, const Words& w, const StaffDesk& desk, const StaffResult& answer, bool receipt_busy,
                   const std::optional<PrintResult>& receipt_result) {
  if (answer.sending_stopped)
    m.body.push_back(answer.sending_last_run.empty()
                         ? w.t("ui.staff.sending-never", m)
                         : w.tf("ui.staff.sending-stopped", {{"since", held_time(answer.sending_last_run)}}, m));
  const auto& entries = answer.entries;
  if (entries.empty()) {
    m.body.push_back(w.t("ui.staff.queue-empty", m));
    return;
  }
  const auto& e = entries[std::min(desk.entry(), entries.size() - 1)];
  m.body.push_back({std::to_string(desk.entry() + 1) + " / " + std::to_string(entries.size()) + "   " + e.reference +
                        "   " + e.form_id,
                    true});
  m.body.push_back(w.t("ui.staff.status." + e.status, m));
  m.body.push_back(w.tf("ui.staff.attempts", {{"n", std::to_string(e.attempts)}}, m));
  if (!e.last_error.empty()) m.body.push_back({e.last_error, true});
  if (receipt_busy) {
    m.body.push_back(w.t("ui.staff.working", m));
    m.busy = true;
  } else if (receipt_result) {
    if (receipt_result->outcome == Outcome::Done)
      m.body.push_back(w.t("ui.staff.reprinted", m));
    else
      m.error = w.t(receipt_result->message_key.empty() ? "ui.print.failed" : receipt_result->message_key, m);
  }
  if (e.status == "parked" || e.status == "rejected")
    m.choices.push_back(
        {"choice.staff.retry", w.t("ui.staff.retry", m), "", intent::StaffAction{intent::staff::Retry{}}, true});
  if (e.status == "queued" || e.status == "parked" || e.status == "rejected")
    m.choices.push_back(
        {"choice.staff.cancel", w.t("ui.staff.cancel", m), "", intent::StaffAction{intent::staff::Cancel{}}, false});
  m.choices.push_back({"choice.staff.reprint-receipt", w.t("ui.staff.reprint", m), "",
                       intent::StaffAction{intent::staff::ReprintReceipt{}}, false});
  if (entries.size() > 1)
    m.choices.push_back({"choice.staff.next-entry", w.t("ui.staff.next", m), "",
                         intent::StaffAction{intent::staff::NextEntry{}}, false});
}

}  // namespace

ScreenModel staff_queue(ScreenModel m, const Words& w, const StaffDesk& desk, const forms::Catalogue& catalogue,
                        bool receipt_busy, const std::optional<PrintResult>& receipt_result) {
  m.citizen_facing = false;
  m.title = w.t(desk.held_view() ? "ui.staff.review" : "ui.staff.queue", m);
  if (desk.busy() || !desk.result()) {
    m.body.push_back(w.t("ui.staff.working", m));
    m.busy = true;
    return m;
  }
  const auto& answer = *desk.result();
  if (answer.outcome != Outcome::Done) {
    m.error = w.t(answer.message_key.empty() ? "ui.staff.failed" : answer.message_key, m);
    return m;
  }
  if (desk.held_view())
    held_sheets(m, w, desk, answer.held, catalogue);
  else
    queue_entries(m, w, desk, answer, receipt_busy, receipt_result);
  return m;
}

}  // namespace kiosk::flow::models

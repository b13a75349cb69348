// Which screen's model to build: one builder per screen (models/, mirroring kiosk/ui/screens/),
// each given only the state it reads. Kept apart from the state machine in flow.cpp.
#include <sodium.h>

#include "kiosk_flow/flow.hpp"
#include "models/models.hpp"

namespace kiosk::flow {

ScreenModel Flow::screen_model() const {
  const models::Words w(translations_, session_.language);
  const auto* f = form();
  const auto& s = session_;
  auto build = [&](ScreenModel m) -> ScreenModel {
    switch (screen_) {
      case Screen::Start:
        return models::start(std::move(m), w, options_.languages, page_);
      case Screen::Task:
        return models::task(std::move(m), w, categories_offered(), page_);
      case Screen::Who:
        return models::who(std::move(m), w);
      case Screen::WhoKind:
        return models::who_kind(std::move(m), w, representation_types(), page_);
      case Screen::FormChoice:
        return models::form_choice(std::move(m), w, forms_for_choice(), page_);
      case Screen::FormIntro:
        return models::form_intro(std::move(m), w, f, rules_.find(s.representation.type));
      case Screen::RepresentativeId:
      case Screen::RepresentedId:
        return models::identity(std::move(m), w, s.typed);
      case Screen::Refused:
        return models::refused(std::move(m), w, refusal_key_);
      case Screen::Question:
      case Screen::Correct:
        return models::question(std::move(m), w, f, current_link_, progress(), s.typed, page_);
      case Screen::Overview:
        return models::overview(std::move(m), w, s, f, questions(), progress(), page_);
      case Screen::Print:
        return models::print(std::move(m), w, s, f, options_.postal_address, print_busy_, print_result_);
      case Screen::Scan:
        return models::scan(std::move(m), w, s, scanning_evidence_, scan_busy_, scan_result_);
      case Screen::Review:
        return models::review(std::move(m), w, s, f);
      case Screen::Send:
        return models::send(std::move(m), w, f, options_.postal_address, send_busy_, send_result_);
      case Screen::Receipt:
        return models::receipt(std::move(m), w, s, send_result_, receipt_busy_, receipt_result_);
      case Screen::Help:
        return models::help(std::move(m), w, options_.help_phone, s.help_code);
      case Screen::StaffPin:
        return models::staff_pin(std::move(m), w, desk_, s.typed);
      case Screen::StaffMenu:
        return models::staff_menu(std::move(m), w, desk_);
      case Screen::StaffInfo:
        return models::staff_info(std::move(m), w, desk_.info(), services_);
      case Screen::StaffQueue:
        return models::staff_queue(std::move(m), w, desk_, catalogue_, receipt_busy_, receipt_result_);
    }
    return m;
  };
  ScreenModel m = build(models::frame(w, screen_, session_, error_key_));
  if (countdown_) {
    m.countdown_seconds = *countdown_;
    m.warning_title = w.t("ui.inactivity.title", m);
    m.warning_body = w.tf("ui.inactivity.body", {{"seconds", std::to_string(*countdown_)}}, m);
    m.still_here = w.t("ui.inactivity.still-here", m);
  }
  return m;
}

ScreenModel::~ScreenModel() {
  wipe_string(title);
  for (auto& line : body) wipe_string(line.text);
  wipe_string(error);
  for (auto& c : choices) {
    wipe_string(c.label);
    wipe_string(c.explain);
  }
  for (auto& r : rows) {
    wipe_string(r.label);
    wipe_string(r.explain);
    wipe_string(r.value);
  }
  if (input) wipe_string(input->shown);
  if (crop && !crop->grey.empty()) sodium_memzero(crop->grey.data(), crop->grey.size());
}

}  // namespace kiosk::flow

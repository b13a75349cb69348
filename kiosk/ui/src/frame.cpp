#include <imgui.h>

#include "../screens/screens.hpp"
#include "kiosk_ui/renderer.hpp"

namespace kiosk::ui {

FrameOutput draw_frame(const Fonts& fonts, const flow::ScreenModel& model) {
  const auto& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0);
  ImGui::Begin("kiosk", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoScrollWithMouse);
  Painter p(fonts, model);
  // While the inactivity warning is up, only its own button answers.
  p.set_disabled(model.countdown_seconds.has_value());
  screens::band(p);
  using S = flow::Screen;
  switch (model.screen) {
    case S::Start:
      screens::start(p);
      break;
    case S::Task:
      screens::task(p);
      break;
    case S::Who:
      screens::who(p);
      break;
    case S::WhoKind:
      screens::who_kind(p);
      break;
    case S::FormChoice:
      screens::form_choice(p);
      break;
    case S::FormIntro:
      screens::form_intro(p);
      break;
    case S::RepresentativeId:
    case S::RepresentedId:
      screens::identity(p);
      break;
    case S::Refused:
      screens::refused(p);
      break;
    case S::Question:
    case S::Correct:
      screens::question(p);
      break;
    case S::Overview:
      screens::overview(p);
      break;
    case S::Print:
      screens::print(p);
      break;
    case S::Scan:
      screens::scan(p);
      break;
    case S::Review:
      screens::review(p);
      break;
    case S::Send:
      screens::send(p);
      break;
    case S::Receipt:
      screens::receipt(p);
      break;
    case S::Help:
      screens::help(p);
      break;
    case S::StaffPin:
      screens::staff_pin(p);
      break;
    case S::StaffMenu:
      screens::staff_menu(p);
      break;
    case S::StaffInfo:
      screens::staff_info(p);
      break;
    case S::StaffQueue:
      screens::staff_queue(p);
      break;
  }
  screens::nav_bar(p);
  screens::inactivity_warning(p);
  ImGui::End();
  ImGui::PopStyleVar(2);
  return p.take();
}

}  // namespace kiosk::ui

#include "kiosk_flow/progress.hpp"

#include <algorithm>

#include "forms/answers.hpp"

namespace kiosk::flow {

namespace {

bool is_question(const forms::Item& item) {
  using T = forms::ItemType;
  return item.type == T::String || item.type == T::Text || item.type == T::Boolean || item.type == T::Choice ||
         item.type == T::Date || item.type == T::Integer;
}

bool answered_by_who(const forms::Item& item) {
  return item.representation_answer != forms::RepresentationAnswer::None &&
         item.representation_answer != forms::RepresentationAnswer::NotRepresentation;
}

// Off for good: every condition of the item is on a representation item, and the who-answers
// say no. An item that depends on the person's own answers may still appear: it counts.
bool switched_off(const forms::Questionnaire& form, const forms::Item& item, const forms::Answers& who_only) {
  if (item.enable_when.empty()) return false;
  for (const auto& cond : item.enable_when) {
    const auto* target = form.find_item(cond.question);
    if (!target || !answered_by_who(*target)) return false;
  }
  return !forms::is_enabled(item, who_only);
}

bool may_ask(const forms::Questionnaire& form, const forms::Item& item, const forms::WhoAnswers& who,
             const forms::Answers& who_only, const forms::Item* represented) {
  if (switched_off(form, item, who_only)) return false;
  if (item.type == forms::ItemType::Group)
    return std::any_of(item.items.begin(), item.items.end(),
                       [&](const forms::Item& child) { return may_ask(form, child, who, who_only, represented); });
  if (!is_question(item)) return false;
  if (forms::answered_by_who_screens(item, who.type)) return false;
  return !(who.type != "self" && &item == represented);
}

bool contains(const forms::Item& item, const std::string& link_id) {
  if (item.link_id == link_id) return true;
  return std::any_of(item.items.begin(), item.items.end(),
                     [&](const forms::Item& child) { return contains(child, link_id); });
}

}  // namespace

std::vector<std::string> form_steps(const forms::Questionnaire& form, const forms::WhoAnswers& who) {
  forms::Answers who_only;
  forms::answer_representation_items(form, who, who_only);
  const auto* represented = forms::represented_id_item(form);
  std::vector<std::string> out;
  for (const auto& item : form.items)
    if (may_ask(form, item, who, who_only, represented)) out.push_back(item.link_id);
  who_only.wipe();
  return out;
}

std::optional<Progress> progress_of(const forms::Questionnaire& form, const forms::WhoAnswers& who,
                                    const std::string& link_id) {
  const auto steps = form_steps(form, who);
  Progress p;
  p.count = static_cast<int>(steps.size()) + 1;
  if (link_id.empty()) {
    p.step = p.count;
    return p;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto* top = form.find_item(steps[i]);
    if (top && contains(*top, link_id)) {
      p.step = static_cast<int>(i) + 1;
      return p;
    }
  }
  return std::nullopt;  // not a step of this form (never shown as one)
}

}  // namespace kiosk::flow

#pragma once
#include <map>
#include <string>
#include <vector>

#include "forms/questionnaire.hpp"
#include "kiosk_flow/flow.hpp"

// Helpers shared by the state machine (flow.cpp, staff_desk.cpp) and the screen texts (models/).
namespace kiosk::flow::detail {

// std::visit over intents with one lambda per kind.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

Keyboard keyboard_for(const forms::Item& item);
size_t max_chars_for(const forms::Item& item);
std::string format_typed(const forms::Item* item, const std::string& typed);
void collect_intros(const std::vector<forms::Item>& items, std::vector<std::string>& pending, const std::string& lang,
                    std::map<std::string, std::vector<std::string>>& out);

}  // namespace kiosk::flow::detail

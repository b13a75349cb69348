#pragma once
#include <optional>
#include <string>
#include <vector>

#include "forms/questionnaire.hpp"
#include "forms/representation.hpp"

namespace kiosk::flow {

// "Steg 2 av 5": progress a person can predict. The steps are the form's top-level sections that
// can hold a question for this kind of help (fixed when the questions start: a conditional question
// that appears later belongs to a step already counted), then the look back over all answers.
struct Progress {
  int step = 0;   // 1-based
  int count = 0;  // the form's steps plus the overview
};

// The top-level items (linkIds) that count as steps for a form filled in with these who-answers:
// those holding a question the form may ask (not one the who-screens answered, and not one the
// who-answers switch off).
std::vector<std::string> form_steps(const forms::Questionnaire& form, const forms::WhoAnswers& who);

// The step of a question (its top-level section), or of the overview (link_id empty).
std::optional<Progress> progress_of(const forms::Questionnaire& form, const forms::WhoAnswers& who,
                                    const std::string& link_id);

}  // namespace kiosk::flow

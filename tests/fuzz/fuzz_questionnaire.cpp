// A Questionnaire file an admin imports (kioskctl forms import): downloaded, hand-edited or
// damaged. import_questionnaires refuses with a FormError naming the file; it never crashes,
// and every form it offers is a valid kiosk form that accounts for each source item.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "forms/error.hpp"
#include "forms/questionnaire_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto forms = forms::import_questionnaires(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    for (const auto& f : forms) {
      if (f.offered && (f.catalogue_form.is_null() || f.form.items.empty() || !f.supported.all())) std::abort();
      if (!f.offered && f.not_offered.empty()) std::abort();
      // Nothing silently dropped: every source item is kept (splitting a long form only adds
      // groups), listed as left out, or noted as an information text with nothing to show.
      std::size_t empty = 0;
      for (const auto& n : f.notes) empty += n.note.find("nothing to show") != std::string::npos ? 1 : 0;
      if (f.offered && f.form.all_items().size() + f.unsupported.size() + empty < f.items) std::abort();
    }
  } catch (const forms::FormError&) {
  }
  return 0;
}

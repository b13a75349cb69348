#include "kiosk_flow/session.hpp"

namespace kiosk::flow {

void wipe_string(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
  s.shrink_to_fit();
}

namespace {
void wipe_path(std::filesystem::path& p) {
  std::string s = p.string();
  wipe_string(s);
  p.clear();
}
}  // namespace

void Session::wipe() {
  for (std::string* s : {&help_code, &submission_id, &category, &form_id, &typed, &receipt_reference,
                         &representation.type, &representation.representative_id, &representation.represented_id})
    wipe_string(*s);
  for (auto& e : representation.evidence) wipe_string(e);
  representation = Representation{};
  answers.wipe();
  for (auto& f : read_fields) {
    wipe_string(f.link_id);
    wipe_string(f.value);
  }
  read_fields.clear();
  review_queue.clear();
  for (auto& p : pages) wipe_path(p);
  for (auto& p : evidence_pages) wipe_path(p);
  pages.clear();
  evidence_pages.clear();
  blank_form = filled_at_home = representing = signature_found = false;
}

}  // namespace kiosk::flow

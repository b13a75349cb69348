#include "kiosk_flow/session.hpp"

#include <sodium.h>

namespace kiosk::flow {

void wipe_string(std::string& s) {
  // The whole buffer, not just the current size: a shorter value may sit in a buffer that
  // once held a longer one.
  sodium_memzero(s.data(), s.capacity());
  s.clear();
  s.shrink_to_fit();
}

namespace {
void wipe_path(std::filesystem::path& p) {
  // The path's own buffer (native() is a std::string on POSIX); the object is not const.
  auto& native = const_cast<std::string&>(p.native());
  sodium_memzero(native.data(), native.capacity());
  p.clear();
}
}  // namespace

void Session::wipe() {
  for (std::string* s : {&help_code, &submission_id, &category, &form_id, &typed, &receipt_reference, &assisted_by,
                         &representation.type, &representation.representative_id, &representation.represented_id})
    wipe_string(*s);
  for (auto& e : representation.evidence) wipe_string(e);
  representation = Representation{};
  answers.wipe();
  for (auto& f : read_fields) {
    wipe_string(f.link_id);
    wipe_string(f.value);
    if (!f.crop_grey.empty()) sodium_memzero(f.crop_grey.data(), f.crop_grey.size());
  }
  read_fields.clear();
  review_queue.clear();
  for (auto& p : pages) wipe_path(p);
  for (auto& p : evidence_pages) wipe_path(p);
  pages.clear();
  evidence_pages.clear();
  blank_form = filled_at_home = representing = signature_found = staff_review = false;
}

}  // namespace kiosk::flow

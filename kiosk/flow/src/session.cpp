#include "kiosk_flow/session.hpp"

#include <alloca.h>
#include <sodium.h>

namespace kiosk::flow {

void wipe_string(std::string& s) {
  // The whole buffer, not just the current size: a shorter value may sit in a buffer that
  // once held a longer one.
  sodium_memzero(s.data(), s.capacity());
  s.clear();
  s.shrink_to_fit();
}

__attribute__((noinline)) void scrub_stack() {
  constexpr size_t kBytes = 256 * 1024;
  void* below = alloca(kBytes);
  sodium_memzero(below, kBytes);  // a call the compiler keeps, unlike memset on memory about to die
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
  for (std::string* s :
       {&help_code, &submission_id, &category, &form_id, &typed, &receipt_reference, &assisted_by, &assisted_by_name,
        &held_reference, &representation.type, &representation.representative_id, &representation.represented_id})
    wipe_string(*s);
  for (auto& e : representation.evidence) wipe_string(e);
  representation = Representation{};
  answers.wipe();
  printed.wipe();
  for (auto& f : read_fields) {
    wipe_string(f.link_id);
    wipe_string(f.value);
    wipe_string(f.reason);
    if (!f.crop_grey.empty()) sodium_memzero(f.crop_grey.data(), f.crop_grey.size());
  }
  read_fields.clear();
  review_queue.clear();
  for (auto& p : pages) wipe_path(p);
  for (auto& p : evidence_pages) wipe_path(p);
  pages.clear();
  evidence_pages.clear();
  pages_found.clear();
  pages_duplicate.clear();
  page_count = 0;
  key_problem.clear();
  blank_form = filled_at_home = representing = signature_found = staff_review = held_for_staff = false;
}

}  // namespace kiosk::flow

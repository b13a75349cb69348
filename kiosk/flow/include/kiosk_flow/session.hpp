#pragma once
#include <string>
#include <vector>

#include "forms/answers.hpp"
#include "kiosk_flow/services.hpp"

namespace kiosk::flow {

// Everything the kiosk knows about the person at the screen. `wipe()` overwrites every
// personal value before it is released, so the next person finds nothing in memory.
struct Session {
  std::string language = "nb";
  bool high_contrast = false;
  bool large_text = false;
  std::string help_code;      // short code read to the guidance service on the phone
  std::string submission_id;  // random, printed in the QR code

  std::string category;
  std::string form_id;
  bool blank_form = false;
  bool filled_at_home = false;  // "Send in a form I have filled in"
  bool representing = false;    // "someone else" was chosen
  Representation representation;
  forms::Answers answers;
  forms::Answers printed;  // the answers as printed on the pre-filled sheet (empty for a blank form)
  std::string typed;  // the on-screen keyboard's buffer

  std::vector<ReadField> read_fields;  // what the scanner read
  std::vector<size_t> review_queue;    // indexes into read_fields still to confirm
  bool signature_found = false;
  std::vector<std::filesystem::path> pages;
  std::vector<std::filesystem::path> evidence_pages;
  std::string receipt_reference;
  std::string assisted_by;       // staff filling in for a citizen at the desk (Provenance)
  std::string assisted_by_name;  // that member's name (empty for a shared-PIN staff session)
  bool staff_review = false;     // staff check a sheet scanned at the desk: accept, correct or reject
  // A multi-page form comes one sheet per scan: the pages read so far (1-based), how many
  // the form has, and the pages of the last scan that had been scanned before.
  std::vector<int> pages_found;
  int page_count = 0;
  std::vector<int> pages_duplicate;
  // Held for staff review: the held sheet's reference ("RV-..."), shown to the citizen who
  // left it, or the sheet staff opened from the review queue.
  std::string held_reference;
  bool held_for_staff = false;  // the citizen left the sheet for staff (the receipt screen says so)
  std::string key_problem;      // a scanned page's ScanResult::key_problem: the sheet goes to staff

  void wipe();
};

// Overwrites a string's bytes before clearing it (volatile stores are kept by the compiler).
void wipe_string(std::string& s);

// Overwrites the calling thread's stack below the caller (256 KiB): short strings (an
// identity number fits in std::string's own buffer) and other temporaries of calls that
// have returned stay in dead stack frames until something else is called that deep. Called
// by the wipe, and by the frame loop after a wipe (it reaches the frames the wipe ran in).
void scrub_stack();

}  // namespace kiosk::flow

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
  std::string typed;  // the on-screen keyboard's buffer

  std::vector<ReadField> read_fields;  // what the scanner read
  std::vector<size_t> review_queue;    // indexes into read_fields still to confirm
  bool signature_found = false;
  std::vector<std::filesystem::path> pages;
  std::vector<std::filesystem::path> evidence_pages;
  std::string receipt_reference;
  std::string assisted_by;    // staff filling in for a citizen at the desk (Provenance)
  bool staff_review = false;  // staff check a sheet scanned at the desk: accept, correct or reject

  void wipe();
};

// Overwrites a string's bytes before clearing it (volatile stores are kept by the compiler).
void wipe_string(std::string& s);

}  // namespace kiosk::flow

#pragma once
#include <string>
#include <vector>

#include "kiosk_flow/services.hpp"
#include "store/held_sheets.hpp"

namespace kiosk::staff {

// What a held sheet carries (form, answers, representation, what was read with its crops),
// as bytes for the store to seal. Personal data: callers wipe the bytes after use.
store::Bytes encode_held(const flow::Submission& submission);
flow::Submission decode_held(const store::Bytes& bytes);

// Keeps a scanned sheet for staff review: its page files are read into the store (sealed)
// and removed. `submission.hold_source` says where it came from; audited as
// `submission.actor`.
store::HeldSheet hold_sheet(store::Store& store, const flow::Submission& submission);

std::vector<flow::HeldSheetInfo> list_held(store::Store& store);

// The held sheet for staff review, with `held_reference` set. Audited ("review-open").
flow::Submission open_held(store::Store& store, const std::string& reference, const std::string& actor);

// Staff reject the sheet: it is deleted (nothing is sent). Audited ("review-reject-sheet").
void reject_held(store::Store& store, const std::string& reference, const std::string& actor);

}  // namespace kiosk::staff

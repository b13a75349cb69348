#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace kiosk::store {

// One scanned sheet waiting for staff review, as listed: no health data, no identity numbers.
struct HeldSheet {
  std::string id;
  std::string reference;  // short, read aloud between staff: "RV-7KQ2-M9XD"
  std::string form_id;
  std::string source;  // "kiosk" (the citizen left it for staff) or "desk" (scanned by staff)
  int fields_to_check = 0;
  std::string created_at;
};

// Scanned sheets waiting for staff review (tables held_sheets and held_pages, migration 4).
// What was read is an opaque blob to the store (the caller encodes it) and is sealed with the
// store key under the context "held:<id>", each page image under "held-page:<id>:<n>". A sheet
// is deleted (secure_delete, then the WAL checkpointed) once staff have decided on it.
class HeldSheets {
 public:
  explicit HeldSheets(Store& store) : store_(store) {}

  // Keeps a sheet; fills in id, reference and created_at and returns the listed row.
  // `actor` is audited (action "hold"), never personal data.
  HeldSheet add(HeldSheet sheet, const Bytes& content, const std::vector<Bytes>& pages, const std::string& actor);
  // Oldest first.
  std::vector<HeldSheet> list();
  std::optional<HeldSheet> find(const std::string& reference_or_id);
  // Decrypted; throws StoreError(NotFound) when the sheet is gone.
  Bytes content(const std::string& id);
  std::vector<Bytes> pages(const std::string& id);
  // Deletes the sheet and its pages. False when it was already gone.
  bool remove(const std::string& id);
  // The same inside the caller's open transaction (no checkpoint: the caller checkpoints after
  // committing), so a decision and the submission it commits are one change.
  bool remove_in_transaction(const std::string& id);

 private:
  Store& store_;
};

}  // namespace kiosk::store

#include "store/held_sheets.hpp"

#include <sodium.h>

#include "random_id.hpp"

namespace kiosk::store {

namespace {

// Short, unambiguous (Crockford base32), like the submission references but "RV-".
std::string new_reference() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out = "RV-";
  for (int i = 0; i < 8; ++i) {
    if (i == 4) out += '-';
    out += kAlphabet[randombytes_uniform(32)];
  }
  return out;
}

std::string content_context(const std::string& id) {
  return "held:" + id;
}
std::string page_context(const std::string& id, std::int64_t page_no) {
  return "held-page:" + id + ":" + std::to_string(page_no);
}

HeldSheet row(const Statement& st) {
  return HeldSheet{st.text(0), st.text(1), st.text(2), st.text(3), static_cast<int>(st.integer(4)), st.text(5)};
}

constexpr const char* kColumns = "SELECT id, reference, form_id, source, fields_to_check, created_at FROM held_sheets";

}  // namespace

HeldSheet HeldSheets::add(HeldSheet sheet, const Bytes& content, const std::vector<Bytes>& pages,
                          const std::string& actor) {
  ensure_sodium();
  sheet.id = random_hex(16);
  sheet.reference = new_reference();
  sheet.created_at = now_iso();
  auto& db = store_.db();
  Transaction tx(db);
  db.prepare(
        "INSERT INTO held_sheets(id, reference, form_id, source, fields_to_check, created_at, content) "
        "VALUES(?,?,?,?,?,?,?)")
      .bind(1, sheet.id)
      .bind(2, sheet.reference)
      .bind(3, sheet.form_id)
      .bind(4, sheet.source)
      .bind(5, sheet.fields_to_check)
      .bind(6, sheet.created_at)
      .bind_blob(7, store_.box().seal(content, content_context(sheet.id)))
      .run();
  for (size_t i = 0; i < pages.size(); ++i)
    db.prepare("INSERT INTO held_pages(sheet_id, page_no, image) VALUES(?,?,?)")
        .bind(1, sheet.id)
        .bind(2, static_cast<std::int64_t>(i + 1))
        .bind_blob(3, store_.box().seal(pages[i], page_context(sheet.id, static_cast<std::int64_t>(i + 1))))
        .run();
  store_.audit(actor, "hold", sheet.reference, "form " + sheet.form_id + " from " + sheet.source);
  tx.commit();
  return sheet;
}

std::vector<HeldSheet> HeldSheets::list() {
  std::vector<HeldSheet> out;
  auto st = store_.db().prepare(std::string(kColumns) + " ORDER BY created_at, rowid");
  while (st.step()) out.push_back(row(st));
  return out;
}

std::optional<HeldSheet> HeldSheets::find(const std::string& reference_or_id) {
  auto st = store_.db().prepare(std::string(kColumns) + " WHERE reference=? OR id=?");
  st.bind(1, reference_or_id).bind(2, reference_or_id);
  if (!st.step()) return std::nullopt;
  return row(st);
}

Bytes HeldSheets::content(const std::string& id) {
  auto st = store_.db().prepare("SELECT content FROM held_sheets WHERE id=?");
  st.bind(1, id);
  if (!st.step()) throw StoreError(StoreError::Kind::NotFound, "The sheet held for review is no longer there.");
  return store_.box().open(st.blob(0), content_context(id));
}

std::vector<Bytes> HeldSheets::pages(const std::string& id) {
  std::vector<Bytes> out;
  auto st = store_.db().prepare("SELECT page_no, image FROM held_pages WHERE sheet_id=? ORDER BY page_no");
  st.bind(1, id);
  while (st.step()) out.push_back(store_.box().open(st.blob(1), page_context(id, st.integer(0))));
  return out;
}

bool HeldSheets::remove_in_transaction(const std::string& id) {
  auto& db = store_.db();
  db.prepare("DELETE FROM held_pages WHERE sheet_id=?").bind(1, id).run();
  db.prepare("DELETE FROM held_sheets WHERE id=?").bind(1, id).run();
  return db.changes() > 0;
}

bool HeldSheets::remove(const std::string& id) {
  {
    Transaction tx(store_.db());
    const bool removed = remove_in_transaction(id);
    tx.commit();
    if (!removed) return false;
  }
  store_.checkpoint();  // the deleted rows must not linger in old WAL frames
  return true;
}

}  // namespace kiosk::store

#include "kiosk_flow/pages.hpp"

#include <algorithm>

namespace kiosk::flow {

std::vector<int> missing_pages(const Session& session) {
  std::vector<int> missing;
  for (int page = 1; page <= session.page_count; ++page)
    if (std::find(session.pages_found.begin(), session.pages_found.end(), page) == session.pages_found.end())
      missing.push_back(page);
  return missing;
}

void add_scanned_sheet(Session& session, ScanResult& sheet) {
  if (missing_pages(session).empty()) {
    session.pages_found.clear();
    session.page_count = 0;
    for (auto& f : session.read_fields) wipe_string(f.value);
    session.read_fields.clear();
    session.pages.clear();
    session.signature_found = false;
    session.key_problem.clear();
  }
  if (session.filled_at_home && !sheet.form_id.empty() && session.pages_found.empty()) session.form_id = sheet.form_id;
  if (!sheet.submission_id.empty() && session.filled_at_home && session.pages_found.empty())
    session.submission_id = sheet.submission_id;
  session.pages_duplicate = sheet.pages_duplicate;
  bool new_page = session.pages_found.empty();
  for (int page : sheet.pages_found) {
    if (std::find(session.pages_found.begin(), session.pages_found.end(), page) != session.pages_found.end()) {
      session.pages_duplicate.push_back(page);
    } else {
      session.pages_found.push_back(page);
      new_page = true;
    }
  }
  session.page_count = std::max(session.page_count, sheet.page_count);
  if (!new_page) return;
  for (auto& field : sheet.fields) {
    const bool known = std::any_of(session.read_fields.begin(), session.read_fields.end(),
                                   [&](const ReadField& f) { return f.link_id == field.link_id; });
    if (!known) session.read_fields.push_back(std::move(field));
  }
  for (auto& page : sheet.pages) session.pages.push_back(page);
  session.signature_found = session.signature_found || sheet.signature_found;
  if (session.key_problem.empty()) session.key_problem = sheet.key_problem;
}

}  // namespace kiosk::flow

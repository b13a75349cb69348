#pragma once
// Putting a multi-page form together: it comes one sheet per scan, in any order.
#include <vector>

#include "kiosk_flow/services.hpp"
#include "kiosk_flow/session.hpp"

namespace kiosk::flow {

// Adds one scan of the session's form to what was read of it before: its pages, fields (the
// first reading of a field wins), page images and signature; a page scanned again is noted as
// a duplicate. A scan that follows a complete form (e.g. scanned again after signing) starts
// afresh. A form filled in at home takes its form and submission from its first sheet. Only
// `session` and `sheet` change (the sheet's fields and pages are moved out): no services, no I/O.
void add_scanned_sheet(Session& session, ScanResult& sheet);

// The pages of the session's form still to come (empty when complete or unknown).
std::vector<int> missing_pages(const Session& session);

}  // namespace kiosk::flow

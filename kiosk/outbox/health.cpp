#include "outbox/health.hpp"

#include <ctime>

#include "store/staff_members.hpp"

namespace kiosk::outbox {

namespace {

std::int64_t count(store::Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  return st.step() ? st.integer(0) : 0;
}

// A text column's single value, or JSON null when there is none.
nlohmann::json text_or_null(store::Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st.step() || st.is_null(0)) return nullptr;
  return st.text(0);
}

}  // namespace

nlohmann::json build_health_report(Outbox& outbox, std::int64_t since_ms, std::int64_t now_ms,
                                   std::int64_t interval_s) {
  auto& db = outbox.store().db();
  const auto& settings = outbox.settings();
  const bool has_held = count(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='held_sheets'") > 0;
  return {
      {"type", kHealthSubject},
      {"version", 1},
      {"kioskId", settings.kiosk_id},
      {"site", settings.site_name},
      {"software", KIOSK_VERSION_TEXT},
      {"time", iso_utc(now_ms)},
      {"intervalSeconds", interval_s},
      {"queue",
       {{"queued", static_cast<std::int64_t>(outbox.count(Status::Queued))},
        {"sent", static_cast<std::int64_t>(outbox.count(Status::Sent))},
        {"parked", static_cast<std::int64_t>(outbox.count(Status::Parked))},
        {"rejected", static_cast<std::int64_t>(outbox.count(Status::Rejected))},
        {"held", has_held ? count(db, "SELECT count(*) FROM held_sheets") : 0}}},
      {"oldestUnsentAt",
       text_or_null(db,
                    "SELECT MIN(s.created_at) FROM submissions s JOIN outbox o ON o.submission_id=s.id WHERE "
                    "o.status IN ('queued','parked')")},
      {"lastSentAt", text_or_null(db, "SELECT MAX(sent_at) FROM outbox")},
      {"lastAcceptedAt", text_or_null(db, "SELECT MAX(received_at) FROM receipts WHERE outcome='accepted'")},
      {"lockoutsSinceLastReport", store::count_staff_lockouts_since(db, since_ms)},
      {"lockoutsLast24h", store::count_staff_lockouts_since(db, now_ms - 24 * 3600 * 1000LL)},
  };
}

std::string iso_utc(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace kiosk::outbox

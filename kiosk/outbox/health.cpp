#include "outbox/health.hpp"

#include <ctime>

#include "store/delivery_state.hpp"
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
  // When each certificate needed for sending expires, so the operator orders new ones in time.
  const auto dates = outbox.sending_certificates();
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& c : dates) {
    nlohmann::json item = {{"key", c.key}};
    if (c.error.empty())
      item["notAfter"] = iso_utc(c.not_after_ms);
    else
      item["unreadable"] = true;
    certificates.push_back(item);
  }
  const std::string blocked = Outbox::sending_blocked_reason(dates, now_ms);
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
      {"heldReceipts", store::read_delivery_value(db, kHeldReceiptsKey, 0)},
      {"certificates", certificates},
      {"sendingBlocked", blocked.empty() ? nlohmann::json(nullptr) : nlohmann::json(blocked)},
      {"lockoutsSinceLastReport", store::count_staff_lockouts_since(db, since_ms)},
      {"lockoutsLast24h", store::count_staff_lockouts_since(db, now_ms - 24 * 3600 * 1000LL)},
  };
}

namespace {
std::tm utc_tm(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}
}  // namespace

std::string iso_utc(std::int64_t ms) {
  const std::tm tm = utc_tm(ms);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string utc_minute_text(std::int64_t ms) {
  const std::tm tm = utc_tm(ms);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace kiosk::outbox

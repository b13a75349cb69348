#pragma once
// The kiosk's health report to the operator: a small JSON message the delivery worker sends to
// broker.health_queue every delivery.health_report_minutes and at once after a staff PIN
// lock-out. Counts and times only: never a reference, a name, an identity number or an answer.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "outbox/outbox.hpp"

namespace kiosk::outbox {

// The AMQP subject of a health report (platform-sim fleet reads only these).
inline constexpr const char* kHealthSubject = "kiosk-health";

// The report as of `now_ms`, counting the staff lock-outs since `since_ms` (when the last report
// reached the broker). `interval_s`: when the next one is due, so a reader can tell a stale kiosk.
nlohmann::json build_health_report(Outbox& outbox, std::int64_t since_ms, std::int64_t now_ms, std::int64_t interval_s);

// A time in milliseconds since the epoch as ISO 8601 UTC to the second ("2026-12-07T19:35:53Z"),
// as the health report and the staff screen's "sending last ran" show it.
std::string iso_utc(std::int64_t ms);
// The same to the minute, for people ("2026-12-07 19:35 UTC"): certificate dates in the
// delivery worker's reasons, the doctor's "last ran" line.
std::string utc_minute_text(std::int64_t ms);

// The delivery_state key that keeps when the last report reached the broker.
inline constexpr const char* kHealthLastReportKey = "health.last_report_ms";

}  // namespace kiosk::outbox

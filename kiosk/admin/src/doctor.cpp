// kioskctl doctor: every check in order, each independent of the others' success where
// it can be, so one run shows everything that is wrong.
#include <unistd.h>

#include "admin/checks.hpp"
#include "admin/qr_keys.hpp"
#include "admin/privacy_checks.hpp"

namespace kiosk::admin {

std::string to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::Ok:
      return "ok";
    case CheckStatus::Warning:
      return "warning";
    case CheckStatus::Failed:
      return "failed";
    case CheckStatus::Skipped:
      return "skipped";
  }
  return "unknown";
}

nlohmann::json to_json(const CheckResult& r) {
  nlohmann::json j = {{"id", r.id}, {"title", r.title}, {"status", to_string(r.status)}, {"message", r.message}};
  if (!r.fix.empty()) j["fix"] = r.fix;
  return j;
}

bool DoctorReport::ok() const {
  for (const auto& c : checks)
    if (c.failed()) return false;
  return true;
}

nlohmann::json DoctorReport::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  int failed = 0, warnings = 0;
  for (const auto& c : checks) {
    list.push_back(admin::to_json(c));
    failed += c.status == CheckStatus::Failed;
    warnings += c.status == CheckStatus::Warning;
  }
  return {{"ok", ok()}, {"failed", failed}, {"warnings", warnings}, {"checks", list}};
}

namespace {
CheckResult skipped(std::string id, std::string title, std::string why) {
  CheckResult r;
  r.id = std::move(id);
  r.title = std::move(title);
  r.status = CheckStatus::Skipped;
  r.message = std::move(why);
  return r;
}
}  // namespace

DoctorReport run_doctor(const DoctorOptions& options) {
  DoctorReport report;
  const std::filesystem::path file = options.config_file.empty() ? Config::default_path() : options.config_file;
  std::optional<Config> loaded;
  report.checks.push_back(check_config(file, &loaded));
  // Without a valid file the rest is still checked against the defaults, so a fresh
  // install shows everything that needs doing in one run.
  const Config config = loaded ? *loaded : Config();
  const unsigned owner = options.expected_owner_uid ? *options.expected_owner_uid
                                                    : kiosk_user_uid().value_or(static_cast<unsigned>(::geteuid()));

  const auto store_path = config.get_path("store.path");
  report.checks.push_back(check_state_dir(store_path.parent_path(), owner));
  report.checks.push_back(check_store_key(config, owner));
  report.checks.push_back(check_qr_key_ring(config, owner));
  report.checks.push_back(check_store(store_path, readable_store_key(config)));
  report.checks.push_back(check_private_folders(config));
  report.checks.push_back(check_staff_access(config));
  report.checks.push_back(check_certificates(config));
  report.checks.push_back(check_print_to_folder(config));
  report.checks.push_back(check_screen_code(file));

  if (options.skip_devices) {
    report.checks.push_back(skipped("printer", "Printer", "Not checked (--skip-devices)."));
    report.checks.push_back(skipped("scanner", "Scanner", "Not checked (--skip-devices)."));
  } else {
    report.checks.push_back(check_printer(config.get_string("printer.queue")));
    report.checks.push_back(check_scanner(config.get_string("scanner.device")));
  }

  if (options.skip_broker) {
    report.checks.push_back(skipped("broker", "Message broker", "Not checked (--skip-broker)."));
    report.checks.push_back(skipped("reply-queue", "Reply queue", "Not checked (--skip-broker)."));
  } else {
    CheckResult broker = check_broker(config, options.network_timeout);
    const bool reachable = !broker.failed();
    report.checks.push_back(std::move(broker));
    report.checks.push_back(reachable
                                ? check_reply_queue(config, options.network_timeout)
                                : skipped("reply-queue", "Reply queue", "Not checked: the broker cannot be reached."));
  }

  report.checks.push_back(check_delivery_worker(
      config, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count()));
  report.checks.push_back(check_retention(config));
  report.checks.push_back(check_disk_space(store_path.parent_path(), options.min_free_bytes));
  report.checks.push_back(check_clock());
  return report;
}

}  // namespace kiosk::admin

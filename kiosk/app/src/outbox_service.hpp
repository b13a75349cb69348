#pragma once
#include <deque>
#include <memory>
#include <optional>

#include "config.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"

namespace kiosk::outbox {
class Outbox;
}  // namespace kiosk::outbox

namespace kiosk::app {

// Commits submissions through the outbox library on a worker thread (the store is opened
// there too, so a slow disk never holds up a frame). It never sends: one delivery worker, the
// delivery unit (`kioskctl queue deliver`, or the demo's child process), sends what is
// committed, so this touch-screen process holds no signing key, no client certificate and no
// decryption key, and needs no network. Staff are told when that worker has not run for a while.
class LibraryOutbox final : public flow::OutboxService {
 public:
  explicit LibraryOutbox(const Config& config);
  ~LibraryOutbox() override;
  LibraryOutbox(const LibraryOutbox&) = delete;
  LibraryOutbox& operator=(const LibraryOutbox&) = delete;

  bool available() const override { return true; }
  void commit(flow::Submission submission) override;
  std::optional<flow::OutboxResult> poll() override;
  void staff(flow::StaffRequest request) override;
  std::optional<flow::StaffResult> poll_staff() override;
  void audit(const std::string& actor, const std::string& action, const std::string& reference) override;

  // A broker is configured: the delivery unit is expected to send what is committed.
  bool delivers() const { return deliver_; }

 private:
  // What one job on the worker thread produced: a commit's result or a staff answer.
  struct Event {
    std::optional<flow::OutboxResult> commit;
    std::optional<flow::StaffResult> staff;
  };
  void open();  // worker thread: opens the store
  flow::OutboxResult run_commit(flow::Submission& submission);
  flow::StaffResult run_staff(const flow::StaffRequest& request);
  void drain();  // UI thread: sorts finished events

  Config config_;
  bool deliver_ = false;
  std::deque<flow::OutboxResult> commits_;  // UI thread only
  std::deque<flow::StaffResult> staff_results_;
  std::unique_ptr<outbox::Outbox> outbox_;  // worker thread only
  std::string open_error_;                  // worker thread only
  // One thread for every use of the store connection: commits and staff requests queue up.
  flow::AsyncWorker<Event> worker_;  // last: its thread uses the members above
};

}  // namespace kiosk::app

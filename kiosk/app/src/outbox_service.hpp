#pragma once
#include <deque>
#include <memory>
#include <optional>

#include "config.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"

namespace kiosk::outbox {
class Outbox;
class DeliveryWorker;
}  // namespace kiosk::outbox

namespace kiosk::app {

// Commits submissions through the outbox library on a worker thread (the store is opened
// there too, so a slow disk or a missing certificate never holds up a frame). When the
// configuration names a broker (broker.url set), a DeliveryWorker sends what is committed
// in the background, also what was left queued before a restart.
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

  bool delivers() const { return deliver_; }

 private:
  // What one job on the worker thread produced: a commit's result or a staff answer.
  struct Event {
    std::optional<flow::OutboxResult> commit;
    std::optional<flow::StaffResult> staff;
  };
  void open();  // worker thread: opens the store and starts delivery
  flow::OutboxResult run_commit(flow::Submission& submission);
  flow::StaffResult run_staff(const flow::StaffRequest& request);
  void drain();  // UI thread: sorts finished events

  Config config_;
  bool deliver_ = false;
  std::deque<flow::OutboxResult> commits_;  // UI thread only
  std::deque<flow::StaffResult> staff_results_;
  std::unique_ptr<outbox::Outbox> outbox_;            // worker thread only
  std::unique_ptr<outbox::DeliveryWorker> delivery_;  // started on the worker thread, stopped after it
  std::string open_error_;                            // worker thread only
  // One thread for every use of the store connection: commits and staff requests queue up.
  flow::AsyncWorker<Event> worker_;  // last: its thread uses the members above
};

}  // namespace kiosk::app

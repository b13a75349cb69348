#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "config.hpp"

namespace kiosk::outbox {

struct DeliveryOptions {
  bool until_empty = false;              // stop when nothing is queued or waiting for a receipt
  std::chrono::milliseconds timeout{0};  // 0: no limit
  // Sent, not yet settled by the broker. RabbitMQ confirms durable messages in bursts
  // every ~0.1-0.4 s, so fewer in flight would cap the rate (16 did, at 16 per burst).
  size_t max_in_flight = 64;
  std::function<void(const std::string&)> log;  // progress lines for kioskctl; may be empty
};

struct DeliveryReport {
  int sent = 0;                  // settled as accepted by the broker
  int accepted = 0;              // receipts: accepted by the platform
  int rejected = 0;              // receipts: rejected by the platform
  int failures = 0;              // failed attempts (retried later or parked)
  int receipts_ignored = 0;      // unknown, duplicate or malformed receipts
  int receipts_held = 0;         // failed a check here: kept on the broker, applied once fixed
  int withdrawals_answered = 0;  // the platform's answers to withdrawal requests
  int connections = 0;
  bool empty = false;  // nothing left to deliver when it stopped
  std::string last_error;
};

// The delivery worker: sends committed submissions over AMQP 1.0 (Qpid Proton), marks
// them sent on the broker's `accepted` settlement, applies receipts from the reply
// queue, retries with capped exponential backoff and jitter, and reconnects after the
// broker goes away. Runs in its own thread with its own store connection.
class DeliveryWorker {
 public:
  DeliveryWorker(kiosk::Config config, DeliveryOptions options);
  ~DeliveryWorker();  // stops and joins
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  void request_stop() { stop_ = true; }
  bool running() const { return thread_.joinable() && !finished_; }
  DeliveryReport wait();  // joins the thread
  // Runs in the calling thread until done (until_empty, timeout or request_stop).
  DeliveryReport run();

 private:
  kiosk::Config config_;
  DeliveryOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
  DeliveryReport report_;
};

}  // namespace kiosk::outbox

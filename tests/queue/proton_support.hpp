#pragma once
// Plain Proton clients for the queue tests and the queue benchmark: publish messages to an
// address of the private RabbitMQ, or consume what waits there, without the kiosk's code.
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/message.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>
#include <proton/work_queue.hpp>

namespace queue_test {

using ProtonClock = std::chrono::steady_clock;

inline proton::connection_options plain_connection() {
  proton::connection_options options;
  options.sasl_allow_insecure_mechs(true);
  return options;
}

// Sends `count` messages made by `make(i)` to a durable address and closes once the
// broker has accepted them all; `elapsed` is the time from link open to the last accept.
class Publisher : public proton::messaging_handler {
 public:
  Publisher(std::string url, std::string address, size_t count, std::function<proton::message(size_t)> make)
      : url_(std::move(url)), address_(std::move(address)), count_(count), make_(std::move(make)) {}
  Publisher(std::string url, std::string address, std::vector<proton::message> messages)
      : Publisher(std::move(url), std::move(address), messages.size(), [messages](size_t i) { return messages[i]; }) {}

  void on_container_start(proton::container& c) override { c.connect(url_, plain_connection()); }
  void on_connection_open(proton::connection& conn) override {
    proton::target_options target;
    target.address(address_).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
    conn.open_sender(address_, proton::sender_options().target(target));
    start_ = ProtonClock::now();
  }
  void on_sendable(proton::sender& s) override {
    while (s.credit() > 0 && sent_ < count_) s.send(make_(sent_++));
  }
  void on_tracker_accept(proton::tracker& t) override {
    if (++accepted_ == count_) {
      elapsed = std::chrono::duration<double>(ProtonClock::now() - start_).count();
      t.connection().close();
    }
  }
  double elapsed = 0;  // seconds

 private:
  std::string url_, address_;
  size_t count_, sent_ = 0, accepted_ = 0;
  std::function<proton::message(size_t)> make_;
  ProtonClock::time_point start_;
};

// Consumes (accepts) what arrives on an address until `stop_after` messages (0: no limit)
// or until `timeout_ms` have passed (0: no timer; a pending timer keeps the container
// running); `elapsed` is the time from link open to the last message.
class Consumer : public proton::messaging_handler {
 public:
  Consumer(std::string url, std::string address, size_t stop_after = 0, int timeout_ms = 3000)
      : url_(std::move(url)), address_(std::move(address)), stop_after_(stop_after), timeout_ms_(timeout_ms) {}

  void on_container_start(proton::container& c) override {
    connection_ = c.connect(url_, plain_connection());
    if (timeout_ms_ > 0)
      c.schedule(proton::duration(timeout_ms_), [this] {
        if (connection_.active()) connection_.close();
      });
  }
  void on_connection_open(proton::connection& conn) override {
    proton::source_options source;
    source.address(address_).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
    conn.open_receiver(address_, proton::receiver_options().source(source).credit_window(64));
    start_ = ProtonClock::now();
  }
  void on_message(proton::delivery& d, proton::message& m) override {
    ++count;
    last = m;
    if (keep_all) all.push_back(m);
    elapsed = std::chrono::duration<double>(ProtonClock::now() - start_).count();
    if (stop_after_ > 0 && count == stop_after_) d.connection().close();
  }
  size_t count = 0;
  proton::message last;
  bool keep_all = false;  // set before run(): every message kept in `all`
  std::vector<proton::message> all;
  double elapsed = 0;  // seconds

 private:
  std::string url_, address_;
  size_t stop_after_;
  int timeout_ms_;
  proton::connection connection_;
  ProtonClock::time_point start_;
};

}  // namespace queue_test

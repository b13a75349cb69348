#include "outbox/delivery.hpp"

#include <sodium.h>

#include <cstdlib>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/error_condition.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/session.hpp>
#include <proton/sender_options.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>
#include <proton/work_queue.hpp>

#include <proton/codec.h>
#include <proton/delivery.h>
#include <proton/link.h>
#include <proton/message.h>

#include "outbox/amqp.hpp"
#include "outbox/crypto.hpp"
#include "outbox/health.hpp"
#include "outbox/outbox.hpp"
#include "store/delivery_state.hpp"
#include "store/staff_members.hpp"

namespace kiosk::outbox {

namespace {

using Clock = std::chrono::steady_clock;

// The worker checkpoints the store's WAL from this size on (commits leave it to the worker).
constexpr std::uintmax_t kWalCheckpointBytes = 4u << 20;

// Messages built ahead of sending, so that the connection never waits for the CPU work
// (PDF, base64, sign, encrypt: several ms each) and that work never waits for the network.
constexpr size_t kBuildAhead = 8;

// Proton C++'s sender::send copies the body into a proton::value, then encodes the message
// into a fresh buffer that starts at 512 bytes and is doubled, re-encoding (and re-copying
// the whole body) at every step: 11 encodings into ever new memory for a ~464 KB
// submission, on the connection thread. So submissions are encoded once with Proton's C
// API into a buffer kept between messages (~0.05 ms) and handed to the link from there.
// The receiver sees the same AMQP message as before.

// The link under a proton::sender: pn_object() is protected in its base class, and a
// pointer to it named through a derived class may be applied to any sender.
struct LinkAccess : proton::sender {
  using Getter = pn_link_t* (proton::internal::object<pn_link_t>::*)() const;
  static constexpr Getter kGetter = &LinkAccess::pn_object;
};
pn_link_t* raw_link(const proton::sender& s) {
  const proton::internal::object<pn_link_t>& base = s;
  return (base.*LinkAccess::kGetter)();
}

struct MessageFree {
  void operator()(pn_message_t* m) const noexcept { pn_message_free(m); }
};
using MessagePtr = std::unique_ptr<pn_message_t, MessageFree>;

// A malloc'd buffer, since pn_message_encode2 may grow it with realloc.
struct EncodeBuffer {
  pn_rwbytes_t bytes{0, nullptr};
  EncodeBuffer() = default;
  EncodeBuffer(const EncodeBuffer&) = delete;
  EncodeBuffer& operator=(const EncodeBuffer&) = delete;
  ~EncodeBuffer() { std::free(bytes.start); }
  void reserve(size_t size) {
    if (bytes.size >= size) return;
    char* grown = static_cast<char*>(std::realloc(bytes.start, size));
    if (!grown) throw std::bad_alloc();
    bytes = pn_rwbytes(size, grown);
  }
};
// Headers and properties of a submission message, well above what they take.
constexpr size_t kHeaderRoom = 16 * 1024;

proton::target_options held_target(const std::string& address) {
  proton::target_options target;
  target.address(address).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
  return target;
}

pn_bytes_t bytes_of(const std::string& s) {
  return pn_bytes(s.size(), s.data());
}

void put_string_property(pn_data_t* map, const std::string& key, const std::string& value) {
  pn_data_put_string(map, bytes_of(key));
  pn_data_put_string(map, bytes_of(value));
}

// Builds messages on background threads (Outbox::build_message touches no database) and
// hands each result to the connection's work queue, where it is sent.
class MessageBuilder {
 public:
  struct Result {
    OutgoingMessage message;
    std::string error;         // could not be built
    bool credentials = false;  // ... because a certificate or key could not be used
  };

  MessageBuilder(const Outbox& outbox, std::function<void()> on_done) : outbox_(outbox), on_done_(std::move(on_done)) {
    const unsigned n = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~MessageBuilder() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      notify_ = false;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  void submit(StoredMessage stored) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(stored));
    }
    wake_.notify_one();
  }
  // Whether on_done may be called (set while the connection that it wakes is open).
  void notify(bool on) {
    std::lock_guard lock(mutex_);
    notify_ = on;
  }
  std::vector<Result> take_done() {
    std::lock_guard lock(mutex_);
    return std::exchange(done_, {});
  }

 private:
  void loop() {
    for (;;) {
      StoredMessage stored;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        stored = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Result result;
      result.message.id = stored.id;
      result.message.reference = stored.reference;
      try {
        result.message = outbox_.build_message(std::move(stored));
      } catch (const CryptoError& e) {
        result.error = e.what();
        result.credentials = true;
      } catch (const OutboxError& e) {
        result.error = e.what();
        result.credentials = e.kind() == OutboxError::Kind::Unavailable;
      } catch (const std::exception& e) {
        result.error = e.what();
      }
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(result));
      if (notify_) on_done_();
    }
  }

  const Outbox& outbox_;
  std::function<void()> on_done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<StoredMessage> jobs_;
  std::vector<Result> done_;
  bool stopping_ = false;
  bool notify_ = false;
  std::vector<std::thread> threads_;
};

// One connection's worth of delivery. Everything here runs on the container's thread,
// except the message building (MessageBuilder).
class ConnectionHandler : public proton::messaging_handler {
  // A receipt read from the reply queue (or back from the held queue), not yet settled.
  struct PendingReceipt {
    proton::delivery delivery;
    Bytes body;
    bool from_held = false;   // read back from the held queue
    proton::message message;  // as received: a held copy keeps its id and properties
  };

 public:
  ConnectionHandler(Outbox& outbox, const kiosk::Config& config, const DeliveryOptions& options,
                    std::atomic<bool>& stop, std::optional<Clock::time_point> deadline, DeliveryReport& report,
                    store::WorkerBeat& beat)
      : outbox_(outbox),
        config_(config),
        options_(options),
        stop_(stop),
        deadline_(deadline),
        report_(report),
        beat_(beat) {}

  bool finished() const { return finished_; }
  bool opened() const { return opened_; }
  // No more hand-overs to the connection's work queue: called before the container (and
  // so the connection) goes away, however container.run() ended.
  void detach() { builder_.notify(false); }

  void on_container_start(proton::container& c) override {
    container_ = &c;
    connection_ = c.connect(outbox_.settings().broker_url, connection_options(config_));
    schedule_tick();
  }

  void on_connection_open(proton::connection& conn) override {
    opened_ = true;
    work_queue_ = &conn.work_queue();
    builder_.notify(true);
    ++report_.connections;
    log("connected to " + outbox_.settings().broker_url);
    proton::target_options target;
    target.address(outbox_.settings().platform_address)
        .durability_mode(proton::terminus::CONFIGURATION)
        .expiry_policy(proton::terminus::NEVER);
    sender_ = conn.open_sender(outbox_.settings().platform_address, proton::sender_options().target(target));
    proton::source_options source;
    source.address(outbox_.settings().reply_address)
        .durability_mode(proton::terminus::CONFIGURATION)
        .expiry_policy(proton::terminus::NEVER);
    receiver_ = conn.open_receiver(outbox_.settings().reply_address,
                                   proton::receiver_options().source(source).auto_accept(false).credit_window(64));
    // Receipts that failed a check here wait in the reply queue's companion (kHeldReceiptsSuffix):
    // copied there by this worker, read back in passes (start_held_pass).
    held_sender_ = conn.open_sender(held_address_, proton::sender_options().target(held_target(held_address_)));
    held_pass_wanted_ = true;  // once per connection: the count in the store may be out of date
    // The operator's health queue (health.hpp): a report now, then every few minutes.
    const std::string health = queue_address(config_, config_.get_string("broker.health_queue"));
    proton::target_options health_target;
    health_target.address(health)
        .durability_mode(proton::terminus::CONFIGURATION)
        .expiry_policy(proton::terminus::NEVER);
    health_sender_ = conn.open_sender(health, proton::sender_options().target(health_target));
    beat_.last_connected_ms = store::now_ms();
    beat_.last_error.clear();
    beat();
  }

  void on_sendable(proton::sender&) override { send_due(); }

  void on_tracker_accept(proton::tracker& t) override {
    if (held_sender_ && t.sender() == held_sender_) {
      held_copy_settled(t, true);
      return;
    }
    broker_takes_messages();
    if (health_sender_ && t.sender() == health_sender_) {
      // At the broker: lock-outs from now on go in the next report.
      if (health_in_flight_ms_)
        store::write_delivery_value(outbox_.store().db(), kHealthLastReportKey, *health_in_flight_ms_);
      health_in_flight_ms_.reset();
      log("health report at the broker");
      return;
    }
    const std::string id = tag_of(t);
    if (withdrawal_sent(id, true)) return;
    if (in_flight_.erase(id) == 0) return;
    // Recorded in one transaction per tick (flush_pending). A crash before that only
    // means the message is sent again: the platform drops duplicates by message-id.
    confirmed_.push_back(id);
    ++report_.sent;
    send_due();  // room for one more in flight
  }
  void on_tracker_reject(proton::tracker& t) override { refused(t, "the broker rejected the message"); }
  void on_tracker_release(proton::tracker& t) override { refused(t, "the broker released the message"); }

  void on_message(proton::delivery& d, proton::message& m) override {
    const bool from_held = d.receiver().source().address() == held_address_;
    if (from_held) {
      // One that comes while the pass's session closes is left unsettled: the broker keeps it.
      if (!held_pass_active_) return;
      held_pass_last_message_ = Clock::now();
    }
    Bytes body;
    try {
      const auto binary = proton::get<proton::binary>(m.body());
      body.assign(binary.begin(), binary.end());
    } catch (const std::exception&) {
      // Not binary: handled as malformed when applied.
    }
    // Applied in one transaction per tick (flush_pending), acknowledged after that.
    receipts_.push_back({d, std::move(body), from_held, m});
    // Once nothing is left to send, the receipts are applied as they come instead of at the
    // next tick: the last ones of a batch are not held back by up to a tick.
    if (!receipts_now_ && store_checked_ && in_flight_.empty() && building_.empty() && ready_.empty()) {
      receipts_now_ = true;
      work_queue_->add([this] {
        receipts_now_ = false;
        apply_receipts_now();
      });
    }
  }

  void on_receiver_open(proton::receiver& r) override {
    // A pass reads at most this many; no more credit until the next pass (its own link).
    if (held_pass_active_ && r.source().address() == held_address_) {
      r.add_credit(kHeldPassCredit);
      held_pass_last_message_ = Clock::now();
    }
  }

  void on_transport_error(proton::transport& t) override { connection_lost(t.error().what()); }
  void on_transport_close(proton::transport&) override { builder_.notify(false); }
  void on_connection_error(proton::connection& c) override { connection_lost(c.error().what()); }
  void on_sender_error(proton::sender& s) override { connection_lost(s.error().what()); }
  void on_receiver_error(proton::receiver& r) override { connection_lost(r.error().what()); }

 private:
  static std::string tag_of(const proton::tracker& t) {
    const proton::binary tag = t.tag();
    return std::string(tag.begin(), tag.end());
  }

  void log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  void refused(proton::tracker& t, const std::string& why) {
    if (held_sender_ && t.sender() == held_sender_) {
      held_copy_settled(t, false);
      return;
    }
    if (health_sender_ && t.sender() == health_sender_) {
      health_in_flight_ms_.reset();  // sent again at the next check
      log("health report: " + why);
      return;
    }
    const std::string id = tag_of(t);
    if (withdrawal_sent(id, false)) return;
    if (in_flight_.erase(id) == 0) return;
    outbox_.mark_failed(id, why, FailureCause::Broker);
    ++report_.failures;
    log(why);
  }

  void connection_lost(const std::string& why) {
    builder_.notify(false);
    // Built or being built, not sent: they stay queued in the store, no attempt counted.
    building_.clear();
    ready_.clear();
    report_.last_error = why;
    log("connection problem: " + why);
    health_in_flight_ms_.reset();
    beat_.last_error = why;
    // Messages without a settlement may or may not have arrived: count an attempt and
    // send them again later (the receiver drops duplicates by message-id).
    // What the broker confirmed is recorded; unacknowledged receipts come again.
    receipts_.clear();
    // Held receipts not yet copied (or the copy not confirmed): their originals were not
    // acknowledged, so the broker delivers them again.
    held_copies_.clear();
    held_kept_.clear();
    held_pass_active_ = false;
    withdrawals_in_flight_.clear();  // still queued in the store: sent again on the next connection
    flush_pending();
    for (const auto& [id, reference] : in_flight_) {
      outbox_.mark_failed(id, "connection lost before the broker confirmed: " + why, FailureCause::Broker);
      ++report_.failures;
    }
    in_flight_.clear();
    // Claimed, not sent: another worker may take them while this one reconnects.
    outbox_.release_leases();
    finished_by_error_ = true;
  }

  // The timer runs in the container's context, where what the tick sends and settles
  // would wait in Proton's buffers until the connection's next I/O event. So once the
  // connection is open, the tick itself runs as work on the connection's own queue,
  // after which Proton writes out what it produced.
  void schedule_tick() {
    container_->schedule(proton::duration(50), [this] {
      if (opened_ && !finished_ && !finished_by_error_ && connection_.active())
        connection_.work_queue().add([this] { tick(); });
      else
        tick();
    });
  }

  // Records the broker's confirmations and applies the receipts that came since the last
  // tick, each batch in one transaction; then acknowledges the receipts to the broker
  // (applied durably first, acknowledged second: a crash in between repeats a receipt,
  // which is then a harmless duplicate). A malformed receipt is rejected to the broker's
  // dead-letter handling; the audit log has the details.
  void flush_pending() {
    if (!confirmed_.empty()) {
      log("the broker has " + std::to_string(confirmed_.size()) + " more; " + std::to_string(in_flight_.size()) +
          " not yet confirmed");
      outbox_.mark_sent(confirmed_);
      confirmed_.clear();
    }
    if (receipts_.empty()) return;
    std::vector<Bytes> bodies;
    for (auto& receipt : receipts_) bodies.push_back(std::move(receipt.body));
    std::vector<std::string> details;
    const auto results = outbox_.apply_receipts(bodies, &details);
    for (size_t i = 0; i < results.size(); ++i) {
      switch (results[i]) {
        case ReceiptResult::Accepted:
          ++report_.accepted;
          acceptances_ = true;
          platform_answers();
          break;
        case ReceiptResult::Rejected:
          ++report_.rejected;
          platform_answers();
          break;
        case ReceiptResult::Held:
          if (!receipts_[i].from_held) ++report_.receipts_held;  // each receipt once, not once per pass
          break;
        case ReceiptResult::Withdrawal:
          ++report_.withdrawals_answered;
          platform_answers();
          break;
        default:
          ++report_.receipts_ignored;
          break;
      }
      log(std::string(receipts_[i].from_held ? "held receipt " : "receipt ") + to_string(results[i]) + ": " +
          details[i]);
      auto& receipt = receipts_[i];
      if (results[i] == ReceiptResult::Held) {
        // Never dropped: a receipt from the reply queue is copied to the held queue (and
        // acknowledged once the copy is safe there); one read back from the held queue in a
        // pass is kept unsettled until the pass ends, then goes back the same way.
        receipt.body = std::move(bodies[i]);
        if (receipt.from_held)
          held_kept_.push_back(std::move(receipt));
        else
          copy_to_held(std::move(receipt));
      } else if (results[i] == ReceiptResult::Malformed) {
        receipt.delivery.reject();
      } else {
        receipt.delivery.accept();
      }
    }
    receipts_.clear();
  }

  // A receipt that failed a check here goes to the held queue; its original is acknowledged when
  // the broker has the copy (a crash in between leaves two copies: the second is a duplicate).
  void copy_to_held(PendingReceipt receipt) {
    proton::message copy = receipt.message;
    copy.durable(true);
    copy.body(proton::binary(receipt.body.begin(), receipt.body.end()));
    const std::string tag = std::to_string(++held_tag_);
    held_sender_.send(copy, proton::binary(tag.begin(), tag.end()));
    held_copies_.emplace(tag, std::move(receipt));
  }

  void held_copy_settled(proton::tracker& t, bool ok) {
    const auto it = held_copies_.find(tag_of(t));
    if (it == held_copies_.end()) return;
    if (ok) {
      it->second.delivery.accept();
      if (!it->second.from_held) {
        auto& db = outbox_.store().db();
        store::write_delivery_value(db, kHeldReceiptsKey, store::read_delivery_value(db, kHeldReceiptsKey, 0) + 1);
      }
    } else {
      // The broker would not keep the copy: the original stays on the broker (released, so it is
      // read again later), never dropped.
      it->second.delivery.release();
      log("the broker did not take a held receipt; it stays in its queue");
    }
    held_copies_.erase(it);
  }

  // Reads the held queue back once, on a session of its own: what applies now is acknowledged; what
  // still fails stays unsettled, and closing the session at the end of the pass gives it back to
  // the queue (the broker requeues what a closed session left unsettled). A link that stays open
  // would take back the same receipts at once, and RabbitMQ 3.10 fails a drain on a classic queue
  // (function_clause in send_drained), so each pass is its own session that ends when quiet.
  void start_held_pass() {
    if (!opened_ || held_pass_active_ || !held_copies_.empty() || !connection_.active()) return;
    held_pass_wanted_ = false;
    held_pass_active_ = true;
    held_pass_last_message_ = Clock::now();
    held_session_ = connection_.open_session();
    proton::source_options source = queue_source(held_address_);
    held_session_.open_receiver(held_address_,
                                proton::receiver_options().source(source).auto_accept(false).credit_window(0));
    next_held_pass_ = Clock::now() + kHeldPassInterval;
  }

  // Nothing came for a moment: the pass is over, and the count in the store is what is left there.
  void finish_held_pass_if_done() {
    if (!held_pass_active_) return;
    if (Clock::now() - held_pass_last_message_ < kHeldPassQuiet) return;
    if (!receipts_.empty()) return;  // read, not yet applied: the next tick applies them first
    held_pass_active_ = false;
    const auto kept = held_kept_.size();
    held_kept_.clear();  // unsettled: requeued when the session closes
    if (held_session_.active()) held_session_.close();
    store::write_delivery_value(outbox_.store().db(), kHeldReceiptsKey, static_cast<std::int64_t>(kept));
    if (kept > 0) log(std::to_string(kept) + " receipt(s) still cannot be checked here; kept on the broker");
  }

  // The broker accepted a message on this connection: what was parked because of the broker goes again.
  void broker_takes_messages() {
    if (broker_unparked_) return;
    broker_unparked_ = true;
    if (const int n = outbox_.unpark(FailureCause::Broker, "the broker takes messages again"); n > 0)
      log(std::to_string(n) + " parked submission(s) sent again: the broker takes messages again");
  }

  // The platform answered: what was parked for want of its receipts goes again.
  void platform_answers() {
    if (platform_unparked_) return;
    platform_unparked_ = true;
    if (const int n = outbox_.unpark(FailureCause::Receipt, "the platform answers again"); n > 0)
      log(std::to_string(n) + " parked submission(s) sent again: the platform answers again");
  }

  // Certificates before each send, and new credential files: reloaded, held receipts read again,
  // what they had stopped sent again.
  void check_credentials() {
    const std::string fingerprint = outbox_.credentials_fingerprint();
    if (fingerprint != fingerprint_) {
      if (!building_.empty()) return;  // the builder threads use the loaded credentials
      const bool first = fingerprint_.empty();
      fingerprint_ = fingerprint;
      auto& db = outbox_.store().db();
      const std::int64_t hash = static_cast<std::int64_t>(fnv1a(fingerprint) & 0x7fffffffffffffffULL);
      const bool changed = store::read_delivery_value(db, kCredentialsKey, 0) != hash;
      store::write_delivery_value(db, kCredentialsKey, hash);
      if (!first || changed) {
        outbox_.reload_credentials();
        credentials_blocked_.clear();
        held_pass_wanted_ = true;
        if (const int n = outbox_.unpark(FailureCause::Credentials, "the certificate or key files changed"); n > 0)
          log(std::to_string(n) + " parked submission(s) sent again: the certificate or key files changed");
        if (!first) log("the certificate or key files changed: loaded again");
      }
    }
    std::string reason = Outbox::sending_blocked_reason(outbox_.sending_certificates(), store::now_ms());
    if (reason.empty()) reason = credentials_blocked_;
    // The first check also clears a reason an earlier run left on the queued rows.
    if (reason != blocked_reason_ || !checked_once_) {
      const bool was_blocked = !blocked_reason_.empty();
      checked_once_ = true;
      blocked_reason_ = reason;
      if (reason.empty()) {
        outbox_.clear_waiting();
        if (was_blocked) log("certificates valid: sending");
      } else {
        log(reason);
      }
    }
    if (!blocked_reason_.empty()) outbox_.mark_waiting(blocked_reason_);
  }

  static std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    return h;
  }

  bool nothing_left() {
    // The connection's first health report is waited for: its acceptance is what tells this
    // worker the broker takes messages again (broker_takes_messages), so a run that finds only
    // submissions parked for the broker's sake sends them instead of ending at once.
    const bool health_settled = !health_in_flight_ms_ && (health_sent_ || !health_sender_ || !health_sender_.active());
    return health_settled && in_flight_.empty() && building_.empty() && ready_.empty() && confirmed_.empty() &&
           receipts_.empty() && held_copies_.empty() && !held_pass_active_ && withdrawals_in_flight_.empty() &&
           outbox_.count_withdrawals_waiting() == 0 && outbox_.count(Status::Queued) == 0 &&
           outbox_.count(Status::Sent) == 0;
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    builder_.notify(false);
    if (opened_ && connection_.active())
      connection_.close();
    else
      container_->stop();
  }

  // Ends the run if it is time to (stop requested, timeout, or --until-empty with nothing
  // left); then the last acceptances are checkpointed out of the WAL.
  bool finish_if_done() {
    const bool out_of_time = deadline_ && Clock::now() >= *deadline_;
    if (!stop_ && !out_of_time && !(options_.until_empty && nothing_left())) return false;
    report_.empty = nothing_left();
    if (acceptances_) outbox_.store().checkpoint();
    finish();
    return true;
  }

  void apply_receipts_now() {
    if (finished_ || finished_by_error_) return;
    flush_pending();
    finish_if_done();
  }

  void tick() {
    if (finished_ || finished_by_error_) return;
    flush_pending();
    // Before the end check: new credential files may bring parked submissions back to the queue.
    if (Clock::now() >= next_credentials_check_) {
      check_credentials();
      next_credentials_check_ = Clock::now() + std::chrono::seconds(1);
    }
    if (finish_if_done()) return;
    store_checked_ = false;  // new commits, or retries come due
    withdrawals_checked_ = false;
    finish_held_pass_if_done();
    if (held_pass_wanted_ ||
        (Clock::now() >= next_held_pass_ && store::read_delivery_value(outbox_.store().db(), kHeldReceiptsKey, 0) > 0))
      start_held_pass();
    send_due();
    if (Clock::now() >= next_checkpoint_ && (acceptances_ || wal_bytes() >= kWalCheckpointBytes)) {
      // Accepted data deleted: do not leave it in the WAL. Commits leave checkpoints to
      // this worker (store.cpp) so they write each submission once. At most once a
      // second, since a checkpoint rewrites the pages it moves and syncs the file.
      acceptances_ = false;
      outbox_.store().checkpoint();
      next_checkpoint_ = Clock::now() + std::chrono::seconds(1);
    }
    if (Clock::now() >= next_overdue_check_) {
      if (const int n = outbox_.requeue_unanswered(store::now_ms()); n > 0)
        log(std::to_string(n) + " sent without a receipt in time: sending again");
      next_overdue_check_ = Clock::now() + std::chrono::seconds(1);
    }
    if (Clock::now() >= next_purge_) {
      outbox_.purge_expired();
      next_purge_ = Clock::now() + std::chrono::minutes(10);
    }
    if (Clock::now() >= next_lease_renewal_) {
      outbox_.renew_leases();  // well inside Outbox::kLeaseMs
      next_lease_renewal_ = Clock::now() + std::chrono::milliseconds(Outbox::kLeaseMs / 4);
    }
    if (Clock::now() >= next_beat_) beat();
    if (Clock::now() >= next_health_check_) {
      report_health_if_due();
      next_health_check_ = Clock::now() + std::chrono::seconds(1);
    }
    schedule_tick();
  }

  // The worker's sign of life in the store (staff screen, doctor).
  void beat() {
    beat_.last_run_ms = store::now_ms();
    store::record_worker_beat(outbox_.store().db(), beat_);
    next_beat_ = Clock::now() + std::chrono::milliseconds(store::kWorkerBeatIntervalMs);
  }

  // A health report when one is due: the first on each connection, then every
  // delivery.health_report_minutes, and at once when a staff lock-out happened since the last.
  void report_health_if_due() {
    if (!health_sender_ || !health_sender_.active() || health_sender_.credit() <= 0 || health_in_flight_ms_) return;
    auto& db = outbox_.store().db();
    const std::int64_t now = store::now_ms();
    const std::int64_t interval_s = config_.get_int("delivery.health_report_minutes") * 60;
    const std::int64_t last = store::read_delivery_value(db, kHealthLastReportKey, 0);
    const bool due =
        !health_sent_ || now >= last + interval_s * 1000 || store::count_staff_lockouts_since(db, last) > 0;
    if (!due) return;
    const auto report = build_health_report(outbox_, last, now, interval_s);
    proton::message m;
    m.id(proton::message_id(outbox_.settings().kiosk_id + "-health-" + std::to_string(now)));
    m.subject(kHealthSubject);
    m.content_type("application/json");
    m.durable(true);
    m.body(report.dump());
    health_sender_.send(m);
    health_in_flight_ms_ = now;
    health_sent_ = true;
    log("health report sent (" + std::to_string(report["lockoutsSinceLastReport"].get<std::int64_t>()) +
        " lock-outs since the last)");
  }

  std::uintmax_t wal_bytes() const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(config_.get_path("store.path").string() + "-wal", ec);
    return ec ? 0 : size;
  }

  // Sends what is built while the broker gives credit, then keeps kBuildAhead messages
  // being built (within max_in_flight). Called whenever one of those may have changed.
  void send_due() {
    if (!opened_ || finished_ || finished_by_error_ || !sender_ || !sender_.active()) return;
    // A certificate expired or unusable: everything waits queued, with the reason, no attempt counted.
    if (!blocked_reason_.empty() || next_credentials_check_ == Clock::time_point{}) return;
    send_withdrawals();
    while (sender_.credit() > 0 && !ready_.empty()) {
      send(std::move(ready_.front()));
      ready_.pop_front();
    }
    const size_t queued_here = building_.size() + ready_.size();
    if (store_checked_ || queued_here >= kBuildAhead || in_flight_.size() + queued_here >= options_.max_in_flight)
      return;
    const size_t want = std::min(kBuildAhead - queued_here, options_.max_in_flight - in_flight_.size() - queued_here);
    std::vector<std::string> skip = confirmed_;  // confirmed, not yet recorded as sent
    for (const auto& [id, reference] : in_flight_) skip.push_back(id);
    for (const auto& id : building_) skip.push_back(id);
    for (const auto& message : ready_) skip.push_back(message.id);
    std::vector<StoredMessage> due;
    try {
      due = outbox_.load_due(store::now_ms(), want, skip);
    } catch (const OutboxError& e) {
      // The sending credentials cannot be loaded (a key missing, the platform's certificate
      // revoked, an out-of-date revocation list): wait, queued, until those files change.
      outbox_.release_leases();
      credentials_blocked_ = std::string("Waiting: ") + e.what();
      blocked_reason_ = credentials_blocked_;
      outbox_.mark_waiting(blocked_reason_);
      log(blocked_reason_);
      return;
    }
    // Fewer than asked for: nothing more is due until the next tick looks again.
    if (due.size() < want) store_checked_ = true;
    for (auto& stored : due) {
      building_.insert(stored.id);
      builder_.submit(std::move(stored));
    }
  }

  // Withdrawal requests staff queued (kioskctl queue withdraw): few and small, built here. Tagged
  // "w:" + their message-id, which no submission's tag (its UUID) can be.
  void send_withdrawals() {
    if (withdrawals_checked_) return;
    withdrawals_checked_ = true;
    std::vector<std::string> skip(withdrawals_in_flight_.begin(), withdrawals_in_flight_.end());
    std::vector<OutgoingWithdrawal> due;
    try {
      due = outbox_.due_withdrawals(skip);
    } catch (const OutboxError& e) {
      log(std::string("withdrawal requests wait: ") + e.what());
      return;
    }
    for (auto& w : due) {
      proton::message m;
      m.id(proton::message_id(w.message_id));
      m.durable(true);
      m.ttl(proton::duration(kMessageTtlMs));
      m.content_type(kContentType);
      m.subject(kWithdrawFunction);
      m.reply_to(outbox_.settings().reply_address);
      auto& props = m.properties();
      props.put("fromHerId", outbox_.settings().kiosk_her_id);
      props.put("toHerId", outbox_.settings().platform_her_id);
      props.put("cpaId", outbox_.settings().cpa_id);
      props.put("applicationTimeStamp", store::now_iso());
      props.put("messageFunction", kWithdrawFunction);
      m.body(proton::binary(w.payload.begin(), w.payload.end()));
      const std::string tag = "w:" + w.message_id;
      sender_.send(m, proton::binary(tag.begin(), tag.end()));
      withdrawals_in_flight_.insert(w.message_id);
      log("withdrawal request for " + w.reference + " sent");
    }
  }

  // The broker's settlement of a withdrawal request; false when `tag` is not one.
  bool withdrawal_sent(const std::string& tag, bool ok) {
    if (tag.rfind("w:", 0) != 0) return false;
    const std::string id = tag.substr(2);
    if (withdrawals_in_flight_.erase(id) == 0) return true;
    if (ok)
      outbox_.mark_withdrawal_sent(id);
    else
      log("the broker did not take a withdrawal request; it is sent again");  // still queued in the store
    return true;
  }

  // Built messages come back here, on the connection's work queue.
  void on_built() {
    for (auto& result : builder_.take_done()) {
      if (building_.erase(result.message.id) == 0) continue;  // from before a connection problem
      if (!result.error.empty()) {
        outbox_.build_failed(result.message.id, result.message.reference, result.error,
                             result.credentials ? FailureCause::Credentials : FailureCause::Other);
        ++report_.failures;
        log("could not build the message for " + result.message.reference + ": " + result.error);
        continue;
      }
      ready_.push_back(std::move(result.message));
    }
    send_due();
  }

  // The submission as an AMQP message: durable, message-id = submission id (or its new one after a rejection), the
  // platform's application properties, the CMS bytes as the body.
  void send(OutgoingMessage item) {
    const auto& settings = outbox_.settings();
    MessagePtr m(pn_message());
    if (!m) throw std::bad_alloc();
    pn_msgid_t id{};
    id.type = PN_STRING;
    id.u.as_bytes = bytes_of(item.message_id.empty() ? item.id : item.message_id);
    pn_message_set_id(m.get(), id);
    pn_message_set_durable(m.get(), true);
    pn_message_set_ttl(m.get(), static_cast<pn_millis_t>(kMessageTtlMs));
    pn_message_set_content_type(m.get(), kContentType);
    pn_message_set_subject(m.get(), kSubmissionFunction);
    pn_message_set_reply_to(m.get(), settings.reply_address.c_str());
    pn_data_t* props = pn_message_properties(m.get());
    pn_data_put_map(props);
    pn_data_enter(props);
    put_string_property(props, "fromHerId", settings.kiosk_her_id);
    put_string_property(props, "toHerId", settings.platform_her_id);
    put_string_property(props, "cpaId", settings.cpa_id);
    put_string_property(props, "applicationTimeStamp", store::now_iso());
    put_string_property(props, "messageFunction", kSubmissionFunction);
    pn_data_exit(props);
    pn_data_put_binary(pn_message_body(m.get()),
                       pn_bytes(item.payload.size(), reinterpret_cast<const char*>(item.payload.data())));
    // Room for the body and the headers, so that it is encoded once.
    encoded_.reserve(item.payload.size() + kHeaderRoom);
    item.payload = {};
    const ssize_t size = pn_message_encode2(m.get(), &encoded_.bytes);
    if (size < 0) {
      refused_before_sending(
          item, "the message could not be encoded: " + std::string(pn_error_text(pn_message_error(m.get()))));
      return;
    }
    pn_link_t* link = raw_link(sender_);
    pn_delivery(link, pn_dtag(item.id.data(), item.id.size()));
    pn_link_send(link, encoded_.bytes.start, static_cast<size_t>(size));
    pn_link_advance(link);
    in_flight_[item.id] = std::move(item.reference);
  }

  void refused_before_sending(const OutgoingMessage& item, const std::string& why) {
    outbox_.mark_failed(item.id, why);
    ++report_.failures;
    log(why);
  }

  Outbox& outbox_;
  const kiosk::Config& config_;
  const DeliveryOptions& options_;
  std::atomic<bool>& stop_;
  std::optional<Clock::time_point> deadline_;
  DeliveryReport& report_;
  store::WorkerBeat& beat_;
  proton::sender health_sender_;
  std::optional<std::int64_t> health_in_flight_ms_;  // the report at the broker, not yet settled
  bool health_sent_ = false;                         // on this connection
  Clock::time_point next_lease_renewal_ = Clock::now();
  Clock::time_point next_beat_ = Clock::now();
  Clock::time_point next_health_check_ = Clock::now();
  proton::container* container_ = nullptr;
  proton::connection connection_;
  proton::sender sender_;
  proton::receiver receiver_;
  std::map<std::string, std::string> in_flight_;  // submission id -> reference
  std::vector<std::string> confirmed_;            // accepted by the broker since the last flush
  std::vector<PendingReceipt> receipts_;          // received since the last flush
  // Receipts that failed a check here (ReceiptResult::Held).
  static constexpr int kHeldPassCredit = 1000;
  static constexpr std::chrono::seconds kHeldPassInterval{60};
  static constexpr std::chrono::milliseconds kHeldPassQuiet{700};
  static constexpr const char* kCredentialsKey = "credentials.fingerprint";
  const std::string held_address_ = outbox_.settings().reply_address + kHeldReceiptsSuffix;
  proton::sender held_sender_;
  proton::session held_session_;                       // of the pass under way
  std::map<std::string, PendingReceipt> held_copies_;  // copy's tag -> original, until the copy is at the broker
  std::vector<PendingReceipt> held_kept_;              // read back in this pass, still failing
  std::uint64_t held_tag_ = 0;
  bool held_pass_wanted_ = false, held_pass_active_ = false;
  Clock::time_point held_pass_last_message_, next_held_pass_ = Clock::now();
  bool broker_unparked_ = false, platform_unparked_ = false;
  std::set<std::string> withdrawals_in_flight_;  // request message-ids at the broker, not yet settled
  bool withdrawals_checked_ = false;             // looked for queued requests this tick
  std::string fingerprint_;                      // of the credential files, as last loaded
  std::string blocked_reason_;                   // why nothing is sent now (certificates), empty when sending
  bool checked_once_ = false;                    // check_credentials ran on this connection
  std::string credentials_blocked_;              // the sending credentials failed to load (until the files change)
  Clock::time_point next_credentials_check_{};
  std::set<std::string> building_;     // ids given to builder_, not yet back
  std::deque<OutgoingMessage> ready_;  // built, waiting for credit
  EncodeBuffer encoded_;               // the last message sent, encoded (reused)
  bool store_checked_ = false;         // the store had no more due messages at the last look
  proton::work_queue* work_queue_ = nullptr;
  bool opened_ = false;
  bool finished_ = false;
  bool finished_by_error_ = false;
  bool acceptances_ = false;
  bool receipts_now_ = false;  // apply_receipts_now is queued
  Clock::time_point next_purge_ = Clock::now();
  Clock::time_point next_overdue_check_ = Clock::now();
  Clock::time_point next_checkpoint_ = Clock::now();
  // Last member: its threads stop before anything they use is destroyed. Its on_done runs
  // on a builder thread, only while the connection is open (notify), and hands the
  // results to the connection's thread.
  MessageBuilder builder_{outbox_, [this] { work_queue_->add([this] { on_built(); }); }};
};

}  // namespace

DeliveryWorker::DeliveryWorker(kiosk::Config config, DeliveryOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

DeliveryWorker::~DeliveryWorker() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::start() {
  thread_ = std::thread([this] {
    try {
      report_ = run();
    } catch (const std::exception& e) {
      report_.last_error = e.what();
    }
    finished_ = true;
  });
}

DeliveryReport DeliveryWorker::wait() {
  if (thread_.joinable()) thread_.join();
  return report_;
}

DeliveryReport DeliveryWorker::run() {
  DeliveryReport report;
  std::optional<Clock::time_point> deadline;
  if (options_.timeout.count() > 0) deadline = Clock::now() + options_.timeout;
  Outbox outbox(config_);
  const auto& settings = outbox.settings();
  store::WorkerBeat beat;
  beat.worker_id = outbox.worker_id();
  beat.started_at_ms = beat.last_run_ms = store::now_ms();
  store::record_worker_beat(outbox.store().db(), beat);
  if (options_.log) options_.log("delivery worker " + beat.worker_id + " started");
  int reconnects = 0;
  while (!stop_) {
    // Before connecting too: an expired TLS client certificate keeps the broker from accepting the
    // connection at all, and then no tick says why the submissions wait.
    if (const std::string reason = Outbox::sending_blocked_reason(outbox.sending_certificates(), store::now_ms());
        !reason.empty()) {
      outbox.mark_waiting(reason);
      if (options_.log) options_.log(reason);
    }
    ConnectionHandler handler(outbox, config_, options_, stop_, deadline, report, beat);
    bool opened = false;
    try {
      proton::container container(handler, settings.kiosk_id + "-delivery");
      struct Detach {
        ConnectionHandler& handler;
        ~Detach() { handler.detach(); }
      } detach{handler};  // destroyed before the container
      container.run();
      opened = handler.opened();
    } catch (const std::exception& e) {
      report.last_error = e.what();
      if (options_.log) options_.log(std::string("delivery stopped: ") + e.what());
      opened = handler.opened();
    }
    if (handler.finished()) break;
    if (!opened) beat.last_error = report.last_error;
    beat.last_run_ms = store::now_ms();
    store::record_worker_beat(outbox.store().db(), beat);  // running, if not connected
    // The connection failed or was lost: wait (capped backoff with jitter), then reconnect.
    reconnects = opened ? 1 : reconnects + 1;
    const auto delay = std::chrono::milliseconds(
        backoff_delay_ms(reconnects, settings.backoff_initial_ms,
                         std::min<std::int64_t>(settings.backoff_max_ms, 30000), randombytes_random()));
    const auto until = Clock::now() + delay;
    while (!stop_ && Clock::now() < until && !(deadline && Clock::now() >= *deadline))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (deadline && Clock::now() >= *deadline) break;
  }
  outbox.release_leases();
  report.empty = outbox.count(Status::Queued) == 0 && outbox.count(Status::Sent) == 0;
  return report;
}

}  // namespace kiosk::outbox

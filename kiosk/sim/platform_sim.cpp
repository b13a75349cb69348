// platform-sim: a SIMULATOR of the health platform's receiving side, for tests and demos.
//
//   platform-sim serve --config FILE [--broker URL] [--store FILE] [--reject-rate R] [--delay-ms N]
//                      [--crash-after N] [--fail-processing N] [--receipts-to-legacy] [--max-bytes N]
//                      [--timeout S] [--seed N]
//   platform-sim list (--store FILE | --config FILE) [--json] [--all]
//   platform-sim show MESSAGE-ID (--store FILE | --config FILE) [--bundle] [--json]
//   platform-sim fleet --config FILE [--json] [--wait S] [--no-read]
//
// It consumes submissions from the broker, decrypts them and verifies the kiosk's
// signature, checks the Bundle against the form catalogue and the representation rules,
// drops duplicates by message-id, stores what it accepted in its own SQLite file and
// answers every message with a signed and encrypted receipt on the sender's reply queue.
// Messages that keep failing processing go to the dead-letter queue after 10 attempts;
// messages that can never be processed go to the error queue with a stable code.
// `fleet` plays the operator: it reads the kiosks' health reports from broker.health_queue,
// keeps the latest per kiosk and lists them, flagging what needs a person (PIN lock-outs, a
// report that is late, parked or held submissions).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <atomic>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>
#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>
#include <proton/transport.hpp>
#include <proton/work_queue.hpp>

#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "outbox/amqp.hpp"
#include "outbox/bundle.hpp"
#include "outbox/crypto.hpp"
#include "outbox/error_codes.hpp"
#include "outbox/health.hpp"
#include "outbox/heap.hpp"
#include "store/store.hpp"

namespace {

using namespace kiosk;
using namespace kiosk::outbox;
using nlohmann::json;
using store::Database;

constexpr int kDeadLetterAfter = 10;  // failed processing attempts, as on the platform
// Messages the broker may deliver before earlier ones are settled. Each is settled only
// after its receipt is safe at the broker, so this bounds the pipeline (~0.5 MB each).
constexpr int kCreditWindow = 64;

struct Options {
  double reject_rate = 0;
  int delay_ms = 0;
  int crash_after = 0;      // crash (exit abruptly) while processing the Nth message
  int fail_processing = 0;  // fail the first N processing attempts of every message
  bool receipts_to_legacy = false;
  std::int64_t max_bytes = 20 * 1024 * 1024;
  int timeout_s = 0;
  unsigned seed = 1;
};

// The simulator's own store (plain SQLite: it plays the platform, not the kiosk).
Database open_sim_store(const std::filesystem::path& file) {
  Database db(file, true);
  db.exec("PRAGMA journal_mode=WAL");
  // NORMAL in WAL mode survives a crash of the process (the crash tests kill it); the
  // simulator does not have to survive power loss.
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec(
      "CREATE TABLE IF NOT EXISTS processed(message_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, form_id TEXT, "
      "represented TEXT, representative TEXT, representation_type TEXT, platform_reference TEXT, reason_code TEXT, "
      "reason_text TEXT, received_at TEXT NOT NULL, from_her_id TEXT);"
      "CREATE TABLE IF NOT EXISTS failures(message_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS wire_log(id INTEGER PRIMARY KEY, message_id TEXT, at TEXT);"
      // Withdrawal requests (KIOSK_TILBAKEKALL): answered once per request message-id.
      "CREATE TABLE IF NOT EXISTS withdrawal_requests(message_id TEXT PRIMARY KEY, withdraws TEXT NOT NULL, "
      "outcome TEXT NOT NULL, reason_code TEXT, reason_text TEXT, received_at TEXT NOT NULL);"
      // The operator's side (fleet): the latest health report of each kiosk.
      "CREATE TABLE IF NOT EXISTS health(kiosk_id TEXT PRIMARY KEY, report TEXT NOT NULL, report_time TEXT NOT NULL, "
      "received_at TEXT NOT NULL);");
  // The Bundle as received (platform-sim show --bundle); a simulator store from before has no column.
  bool has_bundle = false;
  for (auto st = db.prepare("SELECT name FROM pragma_table_info('processed')"); st.step();)
    has_bundle = has_bundle || st.text(0) == "bundle";
  if (!has_bundle) db.exec("ALTER TABLE processed ADD COLUMN bundle TEXT");
  bool has_withdrawn = false;
  for (auto st = db.prepare("SELECT name FROM pragma_table_info('processed')"); st.step();)
    has_withdrawn = has_withdrawn || st.text(0) == "withdrawn_at";
  if (!has_withdrawn) db.exec("ALTER TABLE processed ADD COLUMN withdrawn_at TEXT");
  return db;
}

struct Verdict {
  std::string outcome = "accepted";
  std::string reason_code, reason_text, form_id, represented, representative, representation_type, from_her_id;
  std::string bundle;  // the Bundle's JSON text, once decrypted
};

// One received message's CPU-heavy work (decrypt, verify, validate, sign and encrypt the
// receipt), done on a worker thread. Everything it needs is copied out of the AMQP
// message on the container thread; the result is applied there, in arrival order.
struct Job {
  // Input.
  std::string message_id, content_type, from_her_id, cpa_id;
  Bytes body;
  bool body_is_binary = true;
  bool reject_by_draw = false;         // --reject-rate, drawn on the container thread (seeded order)
  std::optional<json> stored_receipt;  // a duplicate: answer again what was stored
  bool withdrawal = false;             // a withdrawal request (kWithdrawFunction), not a submission
  std::string withdraws;               // ... of this message-id (read from the signed request)
  // Output.
  Verdict verdict;
  std::string platform_reference;
  Bytes sealed_receipt;
  std::string error;  // processing failed (counts towards dead-lettering)
  std::atomic<bool> done{false};
};

// A received message waiting for its job, in arrival order (container thread only).
struct Pending {
  proton::delivery delivery;
  proton::message message;
  std::shared_ptr<Job> job;
  bool waits_for_earlier_copy = false;
};

// A small fixed pool of worker threads (the machine has two cores).
class WorkerPool {
 public:
  explicit WorkerPool(std::function<void(Job&)> work) : work_(std::move(work)) {
    const unsigned n = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::shared_ptr<Job> job) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        work_(*job);
      } catch (const std::exception& e) {
        job->error = e.what();
      }
      job->done = true;
    }
  }

  std::function<void(Job&)> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class Simulator : public proton::messaging_handler {
 public:
  Simulator(const Config& config, Database& db, const Options& options)
      : config_(config),
        db_(db),
        options_(options),
        rng_(options.seed),
        catalogue_(forms::Catalogue::load_directory(forms::assets_dir() / "forms")),
        rules_(forms::RepresentationRules::load(forms::assets_dir() / "representation.json")) {
    decryption_ = KeyPair{load_certificate(config.get_path("security.platform_encryption_certificate")),
                          load_private_key(config.get_path("simulator.decryption_key"))};
    signing_ = KeyPair{load_certificate(config.get_path("security.platform_signing_certificate")),
                       load_private_key(config.get_path("simulator.signing_key"))};
    ca_ = load_certificate(config.get_path("security.ca_certificate"));
    const std::string receipt_cert =
        options.receipts_to_legacy ? "security.legacy_decryption_certificate" : "security.decryption_certificate";
    kiosk_encryption_ = load_certificate(config.get_path(receipt_cert));
    platform_address_ = queue_address(config, config.get_string("broker.platform_queue"));
  }

  void on_container_start(proton::container& c) override {
    container_ = &c;
    c.connect(config_.get_string("broker.url"), connection_options(config_));
    if (options_.timeout_s > 0)
      c.schedule(proton::duration(options_.timeout_s * 1000LL), [this] {
        timed_out_ = true;
        if (connection_) connection_.close();
      });
  }

  void on_connection_open(proton::connection& conn) override {
    connection_ = conn;
    proton::source_options source;
    source.address(platform_address_)
        .durability_mode(proton::terminus::CONFIGURATION)
        .expiry_policy(proton::terminus::NEVER);
    conn.open_receiver(platform_address_,
                       proton::receiver_options().source(source).auto_accept(false).credit_window(kCreditWindow));
    std::cerr << "platform-sim: consuming " << platform_address_ << "\n";
  }

  void on_message(proton::delivery& d, proton::message& m) override {
    if (options_.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
    ++received_;
    std::string message_id;
    try {
      message_id = proton::get<std::string>(m.id());
    } catch (const std::exception&) {
      message_id = "";
    }
    db_.prepare("INSERT INTO wire_log(message_id, at) VALUES(?,?)").bind(1, message_id).bind(2, store::now_iso()).run();
    if (options_.crash_after > 0 && received_ >= options_.crash_after) {
      std::cerr << "platform-sim: crashing on purpose (--crash-after)\n";
      std::_Exit(86);
    }
    if (options_.fail_processing > 0 && failures(message_id) < options_.fail_processing) {
      processing_failed(d, m, message_id, "simulated processing failure (--fail-processing)");
      return;
    }
    if (message_id.empty()) {
      forward(d, m, platform_address_ + "_error", "message has no message-id", codes::kNotParseable);
      return;
    }
    auto job = std::make_shared<Job>();
    job->message_id = message_id;
    job->content_type = m.content_type();
    job->withdrawal = m.subject() == kWithdrawFunction;
    job->from_her_id = property(m, "fromHerId");
    job->cpa_id = property(m, "cpaId");
    try {
      proton::binary body = proton::get<proton::binary>(m.body());
      job->body = std::move(static_cast<Bytes&>(body));  // proton::binary is a byte vector: no copy
    } catch (const std::exception&) {
      job->body_is_binary = false;
    }
    if (options_.reject_rate > 0)
      job->reject_by_draw = std::uniform_real_distribution<double>(0, 1)(rng_) < options_.reject_rate;
    pending_.push_back({d, m, job});
    // A copy of a message still being processed waits for that one (finish_ready), so
    // nothing is stored twice; other duplicates get the stored answer again.
    if (in_progress_.insert(message_id).second) {
      if (!job->withdrawal) job->stored_receipt = stored_receipt(message_id);
      pool_.submit(job);
    } else {
      pending_.back().waits_for_earlier_copy = true;
    }
    schedule_poll();
  }

  void on_tracker_accept(proton::tracker& t) override { settle_inbound(t, true); }
  void on_tracker_reject(proton::tracker& t) override { settle_inbound(t, false); }
  void on_tracker_release(proton::tracker& t) override { settle_inbound(t, false); }

  void on_transport_error(proton::transport& t) override {
    std::cerr << "platform-sim: connection problem: " << t.error().what() << "\n";
  }
  void on_connection_error(proton::connection& c) override {
    std::cerr << "platform-sim: connection problem: " << c.error().what() << "\n";
  }

  // Only the simulator's own timeout ends serving. A broker that shuts down may close
  // the connection without an error condition, and that must not end the simulator.
  bool timed_out() const { return timed_out_; }

 private:
  int failures(const std::string& id) {
    auto st = db_.prepare("SELECT attempts FROM failures WHERE message_id=?");
    st.bind(1, id);
    return st.step() ? static_cast<int>(st.integer(0)) : 0;
  }
  int count_failure(const std::string& id) {
    db_.prepare(
           "INSERT INTO failures(message_id, attempts) VALUES(?,1) ON CONFLICT(message_id) DO UPDATE SET "
           "attempts=attempts+1")
        .bind(1, id)
        .run();
    return failures(id);
  }

  Verdict check(const Job& job) const {
    Verdict v;
    v.from_her_id = job.from_her_id;
    auto reject = [&](const std::string& code, const std::string& detail) {
      v.outcome = "rejected";
      v.reason_code = code;
      v.reason_text = staff_text(code) + " (" + detail + ")";
      return v;
    };
    const std::string& message_id = job.message_id;
    const Bytes& body = job.body;
    if (!job.body_is_binary) return reject(codes::kNotParseable, "the body is not binary CMS data");
    if (static_cast<std::int64_t>(body.size()) > options_.max_bytes)
      return reject(codes::kMessageTooLarge, std::to_string(body.size()) + " bytes");
    if (job.content_type != kContentType) return reject(codes::kNotParseable, "wrong content type " + job.content_type);
    Opened opened;
    try {
      opened = decrypt_then_verify(body, {&decryption_}, ca_.get(), nullptr);
    } catch (const CryptoError& e) {
      return reject(e.code(), e.what());
    }
    BundleSummary bundle;
    v.bundle.assign(opened.content.begin(), opened.content.end());
    try {
      bundle = read_bundle_text(v.bundle);
    } catch (const std::exception& e) {
      return reject(codes::kNotParseable, e.what());
    }
    v.represented = bundle.subject;
    v.representative = bundle.representative;
    v.representation_type = bundle.representation_type;
    if (bundle.submission_id != message_id || bundle.from_her_id != v.from_her_id)
      return reject(codes::kHeaderMismatch, "message-id or fromHerId differs from the Bundle");
    const std::string url = bundle.form_url.substr(0, bundle.form_url.find('|'));
    const forms::Questionnaire* form = nullptr;
    for (const auto& q : catalogue_.forms())
      if (q.url == url) form = &q;
    if (!form) return reject(codes::kUnknownForm, url);
    v.form_id = form->id;
    try {
      const auto answers = forms::parse_answers(bundle.questionnaire_response, *form, "Bundle");
      const auto issues = forms::validate_answers(*form, answers);
      if (!issues.empty()) return reject(codes::kInvalidAnswers, issues.front().link_id + ": " + issues.front().code);
    } catch (const std::exception& e) {
      return reject(codes::kInvalidAnswers, e.what());
    }
    if (bundle.representation_type != "self") {
      forms::RepresentationRequest request;
      request.type_code = bundle.representation_type;
      request.represented.identity_number = bundle.subject;
      request.representative = forms::Party{bundle.representative, false};
      request.evidence_provided = bundle.evidence;
      request.is_nearest_relative = true;  // declared at the kiosk; not in the Bundle
      request.today = forms::today_local();
      const auto decision = forms::check_representation(rules_, *form, request);
      if (!decision.allowed)
        return reject(codes::kRepresentationRefused, decision.refusals.empty() ? "" : decision.refusals.front().code);
    }
    if (!bundle.pdf.empty() && base64(sha1(bundle.pdf)) != bundle.pdf_hash)
      return reject(codes::kDocumentHashMismatch, "Attachment.hash (SHA-1) of the pages differs");
    if (!bundle.pdf.empty() && sha256_base64(bundle.pdf) != bundle.pdf_sha256)
      return reject(codes::kDocumentHashMismatch, "SHA-256 of the pages differs");
    if (job.reject_by_draw) return reject(codes::kRejectedBySimulator, "--reject-rate");
    return v;
  }

  std::optional<json> stored_receipt(const std::string& message_id) {
    auto existing =
        db_.prepare("SELECT outcome, platform_reference, reason_code, reason_text FROM processed WHERE message_id=?");
    existing.bind(1, message_id);
    if (!existing.step()) return std::nullopt;
    return json{
        {"messageId", message_id},        {"outcome", existing.text(0)},    {"platformReference", existing.text(1)},
        {"reasonCode", existing.text(2)}, {"reasonText", existing.text(3)}, {"duplicate", true}};
  }

  // On a worker thread: no database, no Proton objects.
  void work(Job& job) const {
    if (job.withdrawal) {
      // Checked like a submission (the kiosk's signature); the decision needs the store (finish).
      const Opened opened = decrypt_then_verify(job.body, {&decryption_}, ca_.get(), nullptr);
      const json request = json::parse(opened.content.begin(), opened.content.end());
      if (request.value("messageId", "") != job.message_id || request.value("withdraws", "").empty())
        throw std::runtime_error("the withdrawal request does not name its message-id and what to withdraw");
      job.withdraws = request["withdraws"].get<std::string>();
      job.body.clear();
      return;
    }
    json receipt;
    if (job.stored_receipt) {
      receipt = *job.stored_receipt;
    } else {
      job.verdict = check(job);
      job.platform_reference = job.verdict.outcome == "accepted" ? "HN-" + job.message_id.substr(0, 8) : "";
      receipt = {{"messageId", job.message_id},
                 {"outcome", job.verdict.outcome},
                 {"platformReference", job.platform_reference},
                 {"reasonCode", job.verdict.reason_code},
                 {"reasonText", job.verdict.reason_text}};
    }
    receipt["receivedAt"] = store::now_iso();
    const std::string text = receipt.dump();
    job.sealed_receipt = sign_then_encrypt(Bytes(text.begin(), text.end()), signing_, kiosk_encryption_.get());
    job.body.clear();
    job.body.shrink_to_fit();
  }

  void schedule_poll() {
    if (poll_scheduled_ || !container_) return;
    poll_scheduled_ = true;
    // On the connection's own work queue, so that the receipts and settlements made by
    // finish_ready are written out at once (a container timer would leave them in Proton's
    // buffers until the connection's next I/O event).
    connection_.work_queue().schedule(proton::duration(2), [this] {
      poll_scheduled_ = false;
      finish_ready();
    });
  }

  // On the container thread, in arrival order: store, send the receipt, and settle the
  // submission when the receipt is safe at the broker.
  void finish_ready() {
    while (!pending_.empty()) {
      Pending& p = pending_.front();
      if (p.waits_for_earlier_copy) {
        if (in_progress_.count(p.job->message_id)) break;  // cannot happen in order, but be safe
        p.waits_for_earlier_copy = false;
        in_progress_.insert(p.job->message_id);
        if (!p.job->withdrawal) p.job->stored_receipt = stored_receipt(p.job->message_id);
        pool_.submit(p.job);
        break;
      }
      if (!p.job->done) break;
      Pending ready = std::move(p);
      pending_.pop_front();
      in_progress_.erase(ready.job->message_id);
      if (!ready.job->error.empty()) {
        processing_failed(ready.delivery, ready.message, ready.job->message_id, ready.job->error);
        continue;
      }
      try {
        finish(ready);
      } catch (const std::exception& e) {
        processing_failed(ready.delivery, ready.message, ready.job->message_id, e.what());
      }
    }
    if (!pending_.empty()) schedule_poll();
  }

  // A withdrawal request, in arrival order (so after the submission it names): the stored submission
  // is marked withdrawn if it was accepted; a request seen before gets its first answer again.
  json answer_withdrawal(const Job& job) {
    auto seen = db_.prepare(
        "SELECT outcome, COALESCE(reason_code,''), COALESCE(reason_text,'') FROM withdrawal_requests WHERE "
        "message_id=?");
    seen.bind(1, job.message_id);
    std::string outcome = "accepted", code, text;
    if (seen.step()) {
      outcome = seen.text(0);
      code = seen.text(1);
      text = seen.text(2);
    } else {
      db_.prepare(
             "UPDATE processed SET withdrawn_at=COALESCE(withdrawn_at, ?) WHERE message_id=? AND outcome='accepted'")
          .bind(1, store::now_iso())
          .bind(2, job.withdraws)
          .run();
      if (db_.changes() == 0) {
        outcome = "rejected";
        code = codes::kWithdrawUnknown;
        text = staff_text(code);
      }
      db_.prepare(
             "INSERT INTO withdrawal_requests(message_id, withdraws, outcome, reason_code, reason_text, received_at) "
             "VALUES(?,?,?,?,?,?)")
          .bind(1, job.message_id)
          .bind(2, job.withdraws)
          .bind(3, outcome)
          .bind(4, code)
          .bind(5, text)
          .bind(6, store::now_iso())
          .run();
      std::cerr << "platform-sim: withdrawal " << job.message_id << " of " << job.withdraws << " " << outcome << "\n";
    }
    return {{"messageId", job.message_id}, {"outcome", outcome},       {"withdraws", job.withdraws},
            {"reasonCode", code},          {"reasonText", text},       {"receivedAt", store::now_iso()}};
  }

  void finish(Pending& p) {
    Job& job = *p.job;
    const std::string& message_id = job.message_id;
    if (job.withdrawal) {
      const std::string text = answer_withdrawal(job).dump();
      job.sealed_receipt = sign_then_encrypt(Bytes(text.begin(), text.end()), signing_, kiosk_encryption_.get());
    } else if (!job.stored_receipt) {
      const Verdict& v = job.verdict;
      db_.prepare(
             "INSERT INTO processed(message_id, outcome, form_id, represented, representative, representation_type, "
             "platform_reference, reason_code, reason_text, received_at, from_her_id, bundle) "
             "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)")
          .bind(1, message_id)
          .bind(2, v.outcome)
          .bind(3, v.form_id)
          .bind(4, v.represented)
          .bind(5, v.representative)
          .bind(6, v.representation_type)
          .bind(7, job.platform_reference)
          .bind(8, v.reason_code)
          .bind(9, v.reason_text)
          .bind(10, store::now_iso())
          .bind(11, v.from_her_id)
          .bind(12, v.bundle)
          .run();
      std::cerr << "platform-sim: " << message_id << " " << v.outcome << " " << v.reason_code << "\n";
      if (v.outcome == "rejected" && v.reason_code != codes::kRejectedBySimulator) {
        // As on the platform: what cannot be processed also goes to the error queue.
        send_to(platform_address_ + "_error", copy_with_error(p.message, v.reason_code, v.reason_text));
      }
    }
    const std::string reply_to = p.message.reply_to().empty()
                                     ? queue_address(config_, config_.get_string("broker.reply_queue"))
                                     : p.message.reply_to();
    proton::message r;
    r.id(message_id + "-receipt");
    r.correlation_id(message_id);
    r.durable(true);
    r.ttl(proton::duration(kMessageTtlMs));
    r.content_type(kContentType);
    r.subject(kReceiptFunction);
    r.properties().put("fromHerId", config_.get_string("broker.platform_her_id"));
    r.properties().put("toHerId", job.from_her_id);
    r.properties().put("cpaId", job.cpa_id);
    r.properties().put("applicationTimeStamp", store::now_iso());
    r.body(proton::binary(job.sealed_receipt.begin(), job.sealed_receipt.end()));
    const proton::tracker t = send_to(reply_to, r);
    waiting_[tag(t)] = p.delivery;  // the submission is acknowledged when the receipt is safe at the broker
  }

  // A processing failure: try again later; after 10 failures, dead-letter it.
  void processing_failed(proton::delivery& d, const proton::message& m, const std::string& message_id,
                         const std::string& why) {
    const int attempts = count_failure(message_id);
    std::cerr << "platform-sim: processing " << message_id << " failed (" << attempts << "): " << why << "\n";
    if (attempts >= kDeadLetterAfter) {
      forward(d, m, platform_address_ + "_dl", "processing failed " + std::to_string(attempts) + " times", "");
    } else {
      d.release();
    }
  }

  static proton::message copy_with_error(const proton::message& m, const std::string& code, const std::string& text) {
    proton::message copy = m;
    copy.properties().put("errorCondition", code);
    copy.properties().put("errorDescription", text);
    return copy;
  }

  void forward(proton::delivery& d, const proton::message& m, const std::string& address, const std::string& why,
               const std::string& code) {
    const proton::tracker t = send_to(address, copy_with_error(m, code.empty() ? "KIOSK-000001" : code, why));
    waiting_[tag(t)] = d;
  }

  proton::tracker send_to(const std::string& address, const proton::message& m) {
    auto it = senders_.find(address);
    if (it == senders_.end()) {
      proton::target_options target;
      target.address(address).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
      it = senders_.emplace(address, connection_.open_sender(address, proton::sender_options().target(target))).first;
    }
    // Proton buffers the message until the link has credit.
    const std::string t = std::to_string(++next_tag_);
    return it->second.send(m, proton::binary(t.begin(), t.end()));
  }

  static std::string tag(const proton::tracker& t) {
    const proton::binary b = t.tag();
    return std::string(b.begin(), b.end());
  }

  void settle_inbound(proton::tracker& t, bool ok) {
    auto it = waiting_.find(tag(t));
    if (it == waiting_.end()) return;
    if (ok)
      it->second.accept();
    else
      it->second.release();
    waiting_.erase(it);
  }

  const Config& config_;
  Database& db_;
  Options options_;
  std::mt19937 rng_;
  forms::Catalogue catalogue_;
  forms::RepresentationRules rules_;
  KeyPair decryption_, signing_;
  X509Ptr ca_, kiosk_encryption_;
  std::string platform_address_;
  proton::connection connection_;
  std::map<std::string, proton::sender> senders_;
  std::map<std::string, proton::delivery> waiting_;
  std::uint64_t next_tag_ = 0;
  int received_ = 0;
  bool timed_out_ = false;
  std::deque<Pending> pending_;        // received, in arrival order, not yet answered
  std::set<std::string> in_progress_;  // message-ids with a job on the pool
  bool poll_scheduled_ = false;
  proton::container* container_ = nullptr;
  // Last member: its threads stop before anything they use is destroyed.
  WorkerPool pool_{[this](Job& job) { work(job); }};
};

std::string arg_value(std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
  return "";
}
bool arg_switch(std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i] == flag) {
      args.erase(args.begin() + static_cast<long>(i));
      return true;
    }
  return false;
}

int usage();

// Reads the health queue until it has been quiet for a moment (or `wait` ran out) and keeps the
// latest report of each kiosk in the simulator's store. Each message is acknowledged after it is
// stored; one that is not a health report is rejected (the broker's dead-letter handling).
class HealthReader : public proton::messaging_handler {
 public:
  HealthReader(const Config& config, Database& db, std::chrono::milliseconds wait)
      : config_(config), db_(db), wait_(wait) {}
  int received = 0, refused = 0;
  std::string error;

  void on_container_start(proton::container& c) override {
    connection_ = c.connect(config_.get_string("broker.url"), connection_options(config_));
    started_ = last_message_ = std::chrono::steady_clock::now();
    check(c);
  }
  void on_connection_open(proton::connection& conn) override {
    const std::string address = queue_address(config_, config_.get_string("broker.health_queue"));
    proton::source_options source;
    source.address(address).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
    conn.open_receiver(address, proton::receiver_options().source(source).auto_accept(false).credit_window(64));
  }
  void on_receiver_open(proton::receiver&) override { last_message_ = std::chrono::steady_clock::now(); }
  void on_message(proton::delivery& d, proton::message& m) override {
    last_message_ = std::chrono::steady_clock::now();
    std::string text;
    try {
      text = proton::get<std::string>(m.body());
    } catch (const std::exception&) {
    }
    const json report = json::parse(text, nullptr, false);
    if (m.subject() != kHealthSubject || !report.is_object() || !report.contains("kioskId") ||
        !report["kioskId"].is_string() || report["kioskId"].get<std::string>().empty()) {
      ++refused;
      d.reject();
      return;
    }
    // Reports may arrive out of order (two connections): the newest by its own time stays.
    db_.prepare(
           "INSERT INTO health(kiosk_id, report, report_time, received_at) VALUES(?,?,?,?) ON CONFLICT(kiosk_id) DO "
           "UPDATE SET report=excluded.report, report_time=excluded.report_time, received_at=excluded.received_at "
           "WHERE excluded.report_time >= health.report_time")
        .bind(1, report["kioskId"].get<std::string>())
        .bind(2, report.dump())
        .bind(3, report.value("time", ""))
        .bind(4, store::now_iso())
        .run();
    ++received;
    d.accept();
  }
  void on_transport_error(proton::transport& t) override { error = t.error().what(); }
  void on_connection_error(proton::connection& c) override { error = c.error().what(); }
  void on_receiver_error(proton::receiver& r) override { error = r.error().what(); }

 private:
  void check(proton::container& c) {
    c.schedule(proton::duration(100), [this, &c] {
      const auto now = std::chrono::steady_clock::now();
      if (!error.empty() || now - last_message_ > std::chrono::milliseconds(700) || now - started_ > wait_) {
        if (connection_.active())
          connection_.close();
        else
          c.stop();
        return;
      }
      check(c);
    });
  }

  const Config& config_;
  Database& db_;
  std::chrono::milliseconds wait_;
  proton::connection connection_;
  std::chrono::steady_clock::time_point started_, last_message_;
};

std::int64_t parse_iso_ms(const std::string& iso) {
  std::tm tm{};
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// What needs a person at this kiosk, in plain words (empty: nothing).
std::vector<std::string> attention(const json& report, std::int64_t now_ms) {
  std::vector<std::string> out;
  const auto number = [&](const json& j, const char* key) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>() : 0;
  };
  const std::int64_t interval_ms = std::max<std::int64_t>(60, number(report, "intervalSeconds")) * 1000;
  const std::int64_t at = parse_iso_ms(report.value("time", ""));
  // Two missed reports and a minute's grace: the kiosk (or its delivery unit, or its network) is down.
  if (at == 0 || now_ms - at > 2 * interval_ms + 60000)
    out.push_back("no health report since " + report.value("time", std::string("(unknown)")));
  const std::int64_t lockouts = std::max(number(report, "lockoutsSinceLastReport"), number(report, "lockoutsLast24h"));
  if (lockouts > 0)
    out.push_back(std::to_string(lockouts) +
                  " staff PIN lock-out(s) in the last 24 hours: someone may be guessing PINs");
  const json queue = report.value("queue", json::object());
  if (number(queue, "parked") > 0) out.push_back(std::to_string(number(queue, "parked")) + " parked submission(s)");
  if (number(queue, "held") > 0)
    out.push_back(std::to_string(number(queue, "held")) + " sheet(s) waiting for staff review");
  if (report.contains("sendingBlocked") && report["sendingBlocked"].is_string())
    out.push_back("sending stopped: " + report["sendingBlocked"].get<std::string>());
  if (number(report, "heldReceipts") > 0)
    out.push_back(std::to_string(number(report, "heldReceipts")) +
                  " receipt(s) could not be checked at the kiosk (certificates, keys or revocation list)");
  // A certificate that runs out within 30 days: time to order a new one.
  for (const auto& c : report.value("certificates", json::array())) {
    if (!c.is_object()) continue;
    const std::int64_t until = parse_iso_ms(c.value("notAfter", ""));
    if (c.value("unreadable", false))
      out.push_back("certificate " + c.value("key", std::string()) + " cannot be read");
    else if (until != 0 && until - now_ms < 30LL * 86400 * 1000)
      out.push_back("certificate " + c.value("key", std::string()) + (until < now_ms ? " expired on " : " expires on ") +
                    c.value("notAfter", std::string()));
  }
  return out;
}

// The operator's view: the latest health report of every kiosk, flagged where a person is needed.
int fleet(std::vector<std::string> args) {
  const std::string config_file = arg_value(args, "--config");
  const std::string wait = arg_value(args, "--wait");
  const bool as_json = arg_switch(args, "--json");
  const bool no_read = arg_switch(args, "--no-read");
  if (!args.empty() || config_file.empty()) return usage();
  Config config = Config::load(config_file);
  if (config.get_string("simulator.store").empty()) {
    std::cerr << "platform-sim: give simulator.store in the configuration.\n";
    return 2;
  }
  Database db = open_sim_store(config.get_path("simulator.store"));
  if (!no_read) {
    HealthReader reader(
        config, db, std::chrono::milliseconds(static_cast<long long>((wait.empty() ? 5.0 : std::stod(wait)) * 1000)));
    try {
      proton::container(reader, "platform-sim-fleet").run();
    } catch (const std::exception& e) {
      reader.error = e.what();
    }
    if (!reader.error.empty())
      std::cerr << "platform-sim: the health queue could not be read (" << reader.error
                << "); showing the reports stored before.\n";
    if (reader.refused > 0)
      std::cerr << "platform-sim: " << reader.refused << " message(s) on the health queue were not health reports.\n";
  }
  const std::int64_t now = store::now_ms();
  json out = json::array();
  int kiosks = 0;
  auto st = db.prepare("SELECT kiosk_id, report, received_at FROM health ORDER BY kiosk_id");
  while (st.step()) {
    ++kiosks;
    const json report = json::parse(st.text(1), nullptr, false);
    if (!report.is_object()) continue;
    const auto flags = attention(report, now);
    if (as_json) {
      out.push_back({{"kioskId", st.text(0)},
                     {"receivedAt", st.text(2)},
                     {"needsAttention", !flags.empty()},
                     {"attention", flags},
                     {"report", report}});
      continue;
    }
    const json queue = report.value("queue", json::object());
    std::cout << st.text(0) << "  " << report.value("site", std::string()) << "  report "
              << report.value("time", std::string()) << "  queued " << queue.value("queued", 0) << ", sent "
              << queue.value("sent", 0) << ", parked " << queue.value("parked", 0) << ", held "
              << queue.value("held", 0) << ", rejected " << queue.value("rejected", 0) << "  last delivery "
              << (report.contains("lastAcceptedAt") && report["lastAcceptedAt"].is_string()
                      ? report["lastAcceptedAt"].get<std::string>()
                      : std::string("never"))
              << "\n";
    if (flags.empty()) std::cout << "    ok\n";
    for (const auto& f : flags) std::cout << "    NEEDS A PERSON: " << f << "\n";
  }
  if (as_json)
    std::cout << out.dump(2) << "\n";
  else if (kiosks == 0)
    std::cout << "No health reports yet.\n";
  return 0;
}

int usage() {
  std::cerr << "platform-sim: a SIMULATOR of the health platform, for tests and demos.\n"
               "Usage:\n"
               "  platform-sim serve --config FILE [--broker URL] [--store FILE] [--reject-rate R] [--delay-ms N]\n"
               "                     [--crash-after N] [--fail-processing N] [--receipts-to-legacy] [--max-bytes N]\n"
               "                     [--timeout S] [--seed N]\n"
               "  platform-sim list (--store FILE | --config FILE) [--json] [--all]\n"
               "  platform-sim show MESSAGE-ID (--store FILE | --config FILE) [--bundle] [--json]\n"
               "  platform-sim fleet --config FILE [--json] [--wait S] [--no-read]\n";
  return 2;
}

// The simulator's store named by --store or the configuration's simulator.store.
std::string sim_store_file(std::vector<std::string>& args) {
  const std::string config_file = arg_value(args, "--config");
  std::string store_file = arg_value(args, "--store");
  if (store_file.empty() && !config_file.empty()) store_file = Config::load(config_file).get_string("simulator.store");
  return store_file;
}

// One stored message: what was decided, or with --bundle the Bundle as it arrived.
int show(std::vector<std::string> args) {
  const std::string store_file = sim_store_file(args);
  const bool bundle = arg_switch(args, "--bundle");
  const bool as_json = arg_switch(args, "--json");
  if (args.size() != 1 || store_file.empty()) return usage();
  const std::string id = args.front();
  if (!std::filesystem::exists(store_file)) {
    std::cerr << "platform-sim: the simulator has stored nothing yet (" << store_file << ").\n";
    return 1;
  }
  Database db = open_sim_store(store_file);
  auto st = db.prepare(
      "SELECT outcome, form_id, platform_reference, reason_code, reason_text, received_at, COALESCE(bundle,'') FROM "
      "processed WHERE message_id=?");
  st.bind(1, id);
  if (!st.step()) {
    std::cerr << "platform-sim: no message with id " << id << " was received.\n";
    return 1;
  }
  if (bundle) {
    if (st.text(6).empty()) {
      std::cerr << "platform-sim: the Bundle of " << id << " was not kept (it could not be decrypted).\n";
      return 1;
    }
    std::cout << json::parse(st.text(6)).dump(2) << "\n";  // JSON either way: it is a FHIR resource
    return 0;
  }
  const json row = {{"messageId", id},          {"outcome", st.text(0)},    {"formId", st.text(1)},
                    {"platformReference", st.text(2)}, {"reasonCode", st.text(3)}, {"reasonText", st.text(4)},
                    {"receivedAt", st.text(5)}};
  if (as_json) {
    std::cout << row.dump(2) << "\n";
  } else {
    for (const auto& [key, value] : row.items()) std::cout << key << ": " << value.get<std::string>() << "\n";
  }
  return 0;
}

int list(std::vector<std::string> args) {
  const std::string store_file = sim_store_file(args);
  const bool as_json = arg_switch(args, "--json");
  const bool all = arg_switch(args, "--all");
  if (!args.empty() || store_file.empty()) return usage();
  if (!std::filesystem::exists(store_file)) {
    if (as_json) std::cout << "[]\n";
    return 0;
  }
  Database db = open_sim_store(store_file);
  auto st = db.prepare(std::string("SELECT message_id, form_id, represented, representative, representation_type, "
                                   "received_at, platform_reference, outcome, reason_code, withdrawn_at IS NOT NULL "
                                   "FROM processed ") +
                       (all ? "" : "WHERE outcome='accepted' ") + "ORDER BY received_at, rowid");
  json out = json::array();
  while (st.step()) {
    json row = {{"messageId", st.text(0)},          {"formId", st.text(1)},
                {"represented", st.text(2)},        {"representative", st.text(3)},
                {"representationType", st.text(4)}, {"receivedAt", st.text(5)},
                {"platformReference", st.text(6)},  {"outcome", st.text(7)},
                {"reasonCode", st.text(8)},         {"withdrawn", st.integer(9) != 0}};
    if (as_json)
      out.push_back(row);
    else
      std::cout << st.text(0) << "  " << st.text(1) << "  " << st.text(7) << "  " << st.text(6) << st.text(8) << "  "
                << st.text(5) << "\n";
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  return 0;
}

int serve(std::vector<std::string> args) {
  const std::string config_file = arg_value(args, "--config");
  if (config_file.empty()) return usage();
  Config config = Config::load(config_file);
  if (auto v = arg_value(args, "--broker"); !v.empty()) config.set("broker.url", v);
  if (auto v = arg_value(args, "--store"); !v.empty()) config.set("simulator.store", v);
  Options options;
  if (auto v = arg_value(args, "--reject-rate"); !v.empty()) options.reject_rate = std::stod(v);
  if (auto v = arg_value(args, "--delay-ms"); !v.empty()) options.delay_ms = std::stoi(v);
  if (auto v = arg_value(args, "--crash-after"); !v.empty()) options.crash_after = std::stoi(v);
  if (auto v = arg_value(args, "--fail-processing"); !v.empty()) options.fail_processing = std::stoi(v);
  if (auto v = arg_value(args, "--max-bytes"); !v.empty()) options.max_bytes = std::stoll(v);
  if (auto v = arg_value(args, "--timeout"); !v.empty()) options.timeout_s = std::stoi(v);
  if (auto v = arg_value(args, "--seed"); !v.empty()) options.seed = static_cast<unsigned>(std::stoul(v));
  options.receipts_to_legacy = arg_switch(args, "--receipts-to-legacy");
  if (!args.empty()) {
    std::cerr << "platform-sim: unknown argument " << args.front() << "\n";
    return usage();
  }
  if (config.get_string("simulator.store").empty()) {
    std::cerr << "platform-sim: give --store FILE or simulator.store in the configuration.\n";
    return 2;
  }
  Database db = open_sim_store(config.get_path("simulator.store"));
  // Keeps serving across broker restarts until the timeout (or a signal) ends it.
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    Simulator simulator(config, db, options);
    try {
      proton::container container(simulator, "platform-sim");
      container.run();
    } catch (const std::exception& e) {
      std::cerr << "platform-sim: " << e.what() << "\n";
    }
    if (simulator.timed_out()) return 0;
    if (options.timeout_s > 0 && std::chrono::steady_clock::now() - started > std::chrono::seconds(options.timeout_s))
      return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Every message is ~0.5 MB and passes through several buffers (see heap.hpp).
  use_message_heap_policy();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "serve") return serve(args);
    if (command == "list") return list(args);
    if (command == "show") return show(args);
    if (command == "fleet") return fleet(args);
  } catch (const std::exception& e) {
    std::cerr << "platform-sim: " << e.what() << "\n";
    return 1;
  }
  return usage();
}

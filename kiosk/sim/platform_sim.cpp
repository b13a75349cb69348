// platform-sim: a SIMULATOR of the health platform's receiving side, for tests and demos.
//
//   platform-sim serve --config FILE [--broker URL] [--store FILE] [--reject-rate R] [--delay-ms N]
//                      [--crash-after N] [--fail-processing N] [--receipts-to-legacy] [--max-bytes N]
//                      [--timeout S] [--seed N]
//   platform-sim list (--store FILE | --config FILE) [--json] [--all]
//
// It consumes submissions from the broker, decrypts them and verifies the kiosk's
// signature, checks the Bundle against the form catalogue and the representation rules,
// drops duplicates by message-id, stores what it accepted in its own SQLite file and
// answers every message with a signed and encrypted receipt on the sender's reply queue.
// Messages that keep failing processing go to the dead-letter queue after 10 attempts;
// messages that can never be processed go to the error queue with a stable code.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <random>
#include <thread>

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
      "CREATE TABLE IF NOT EXISTS wire_log(id INTEGER PRIMARY KEY, message_id TEXT, at TEXT);");
  return db;
}

struct Verdict {
  std::string outcome = "accepted";
  std::string reason_code, reason_text, form_id, represented, representative, representation_type, from_her_id;
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
    try {
      if (options_.fail_processing > 0 && failures(message_id) < options_.fail_processing)
        throw std::runtime_error("simulated processing failure (--fail-processing)");
      process(d, m, message_id);
    } catch (const std::exception& e) {
      // A processing failure: try again later; after 10 failures, dead-letter it.
      const int attempts = count_failure(message_id);
      std::cerr << "platform-sim: processing " << message_id << " failed (" << attempts << "): " << e.what() << "\n";
      if (attempts >= kDeadLetterAfter) {
        forward(d, m, platform_address_ + "_dl", "processing failed " + std::to_string(attempts) + " times", "");
      } else {
        d.release();
      }
    }
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

  Verdict check(const proton::message& m, const std::string& message_id) {
    Verdict v;
    v.from_her_id = property(m, "fromHerId");
    auto reject = [&](const std::string& code, const std::string& detail) {
      v.outcome = "rejected";
      v.reason_code = code;
      v.reason_text = staff_text(code) + " (" + detail + ")";
      return v;
    };
    Bytes body;
    try {
      const auto binary = proton::get<proton::binary>(m.body());
      body.assign(binary.begin(), binary.end());
    } catch (const std::exception&) {
      return reject(codes::kNotParseable, "the body is not binary CMS data");
    }
    if (static_cast<std::int64_t>(body.size()) > options_.max_bytes)
      return reject(codes::kMessageTooLarge, std::to_string(body.size()) + " bytes");
    if (m.content_type() != kContentType) return reject(codes::kNotParseable, "wrong content type " + m.content_type());
    Opened opened;
    try {
      opened = decrypt_then_verify(body, {&decryption_}, ca_.get(), nullptr);
    } catch (const CryptoError& e) {
      return reject(e.code(), e.what());
    }
    BundleSummary bundle;
    try {
      bundle = read_bundle(json::parse(opened.content.begin(), opened.content.end()));
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
    if (!bundle.pdf.empty() && sha256_base64(bundle.pdf) != bundle.pdf_hash)
      return reject(codes::kDocumentHashMismatch, "SHA-256 of the pages differs");
    if (options_.reject_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.reject_rate)
      return reject(codes::kRejectedBySimulator, "--reject-rate");
    return v;
  }

  void process(proton::delivery& d, const proton::message& m, const std::string& message_id) {
    if (message_id.empty()) {
      forward(d, m, platform_address_ + "_error", "message has no message-id", codes::kNotParseable);
      return;
    }
    // Duplicates (same message-id) get the stored answer again; nothing is stored twice.
    auto existing =
        db_.prepare("SELECT outcome, platform_reference, reason_code, reason_text FROM processed WHERE message_id=?");
    existing.bind(1, message_id);
    json receipt;
    if (existing.step()) {
      receipt = {
          {"messageId", message_id},        {"outcome", existing.text(0)},    {"platformReference", existing.text(1)},
          {"reasonCode", existing.text(2)}, {"reasonText", existing.text(3)}, {"duplicate", true}};
    } else {
      const Verdict v = check(m, message_id);
      const std::string platform_reference = v.outcome == "accepted" ? "HN-" + message_id.substr(0, 8) : "";
      db_.prepare(
             "INSERT INTO processed(message_id, outcome, form_id, represented, representative, representation_type, "
             "platform_reference, reason_code, reason_text, received_at, from_her_id) VALUES(?,?,?,?,?,?,?,?,?,?,?)")
          .bind(1, message_id)
          .bind(2, v.outcome)
          .bind(3, v.form_id)
          .bind(4, v.represented)
          .bind(5, v.representative)
          .bind(6, v.representation_type)
          .bind(7, platform_reference)
          .bind(8, v.reason_code)
          .bind(9, v.reason_text)
          .bind(10, store::now_iso())
          .bind(11, v.from_her_id)
          .run();
      receipt = {{"messageId", message_id},
                 {"outcome", v.outcome},
                 {"platformReference", platform_reference},
                 {"reasonCode", v.reason_code},
                 {"reasonText", v.reason_text}};
      std::cerr << "platform-sim: " << message_id << " " << v.outcome << " " << v.reason_code << "\n";
      if (v.outcome == "rejected" && v.reason_code != codes::kRejectedBySimulator) {
        // As on the platform: what cannot be processed also goes to the error queue.
        send_to(platform_address_ + "_error", copy_with_error(m, v.reason_code, v.reason_text));
      }
    }
    receipt["receivedAt"] = store::now_iso();
    const std::string reply_to =
        m.reply_to().empty() ? queue_address(config_, config_.get_string("broker.reply_queue")) : m.reply_to();
    const std::string text = receipt.dump();
    const Bytes sealed = sign_then_encrypt(Bytes(text.begin(), text.end()), signing_, kiosk_encryption_.get());
    proton::message r;
    r.id(message_id + "-receipt");
    r.correlation_id(message_id);
    r.durable(true);
    r.ttl(proton::duration(kMessageTtlMs));
    r.content_type(kContentType);
    r.subject(kReceiptFunction);
    r.properties().put("fromHerId", config_.get_string("broker.platform_her_id"));
    r.properties().put("toHerId", property(m, "fromHerId"));
    r.properties().put("cpaId", property(m, "cpaId"));
    r.properties().put("applicationTimeStamp", store::now_iso());
    r.body(proton::binary(sealed.begin(), sealed.end()));
    const proton::tracker t = send_to(reply_to, r);
    waiting_[tag(t)] = d;  // the submission is acknowledged when the receipt is safe at the broker
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

int usage() {
  std::cerr << "platform-sim: a SIMULATOR of the health platform, for tests and demos.\n"
               "Usage:\n"
               "  platform-sim serve --config FILE [--broker URL] [--store FILE] [--reject-rate R] [--delay-ms N]\n"
               "                     [--crash-after N] [--fail-processing N] [--receipts-to-legacy] [--max-bytes N]\n"
               "                     [--timeout S] [--seed N]\n"
               "  platform-sim list (--store FILE | --config FILE) [--json] [--all]\n";
  return 2;
}

int list(std::vector<std::string> args) {
  const std::string config_file = arg_value(args, "--config");
  std::string store_file = arg_value(args, "--store");
  const bool as_json = arg_switch(args, "--json");
  const bool all = arg_switch(args, "--all");
  if (!args.empty()) return usage();
  if (store_file.empty() && !config_file.empty()) store_file = Config::load(config_file).get_string("simulator.store");
  if (store_file.empty()) return usage();
  if (!std::filesystem::exists(store_file)) {
    if (as_json) std::cout << "[]\n";
    return 0;
  }
  Database db = open_sim_store(store_file);
  auto st = db.prepare(std::string("SELECT message_id, form_id, represented, representative, representation_type, "
                                   "received_at, platform_reference, outcome, reason_code FROM processed ") +
                       (all ? "" : "WHERE outcome='accepted' ") + "ORDER BY received_at, rowid");
  json out = json::array();
  while (st.step()) {
    json row = {{"messageId", st.text(0)},          {"formId", st.text(1)},
                {"represented", st.text(2)},        {"representative", st.text(3)},
                {"representationType", st.text(4)}, {"receivedAt", st.text(5)},
                {"platformReference", st.text(6)},  {"outcome", st.text(7)},
                {"reasonCode", st.text(8)}};
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
  // Every message is ~0.5 MB and passes through several buffers: keep freed memory in the
  // heap instead of returning it to the kernel and faulting it in again for the next one.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "serve") return serve(args);
    if (command == "list") return list(args);
  } catch (const std::exception& e) {
    std::cerr << "platform-sim: " << e.what() << "\n";
    return 1;
  }
  return usage();
}

// Integration tests: a private RabbitMQ (AMQP 1.0 plugin) started by the fixture, the real
// kioskctl and platform-sim binaries, real files. One broker per test case.
#include <doctest/doctest.h>

#include <optional>
#include <set>

#include <nlohmann/json.hpp>
#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/delivery.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver_options.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/source_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>
#include <proton/work_queue.hpp>

#include "helpers.hpp"
#include "proton_support.hpp"
#include "outbox/crypto.hpp"
#include "outbox/outbox.hpp"
#include "outbox/pdf.hpp"
#include "store/staff_members.hpp"
#include "store/store.hpp"

using namespace queue_test;
using nlohmann::json;
namespace ob = kiosk::outbox;

namespace {

constexpr const char* kForm = "reservasjon-kjernejournal";

struct Environment {
  TempDir dir{"kiosk-queue-it"};
  std::unique_ptr<RabbitBroker> broker;
  fs::path config;
  std::unique_ptr<Process> sim;
  int sim_runs = 0;

  // With `tls`, the broker also listens for amqps:// and requires a client certificate
  // signed by a test CA made here; the kiosk and the simulator use that listener.
  explicit Environment(bool tls = false) {
    std::optional<BrokerTls> broker_tls;
    if (tls) {
      const fs::path t = dir.path / "tls";
      fs::create_directories(t);
      const auto ca = ob::make_ca("Kiosk test broker CA");
      ob::write_pem(ca, t / "ca.pem", t / "ca.key");
      ob::write_pem(ob::make_certificate(ca, {"127.0.0.1", "", -1, 30}), t / "server.pem", t / "server.key");
      ob::write_pem(ob::make_certificate(ca, {"kiosk-0001", "", -1, 30}), t / "client.pem", t / "client.key");
      broker_tls = BrokerTls{t / "ca.pem", t / "server.pem", t / "server.key"};
    }
    broker = std::make_unique<RabbitBroker>(dir.path / "broker", broker_tls);
    const std::string url = tls ? broker->tls_url() : broker->url();
    const auto r = run({bin("kioskctl"), "demo-env", "--out", (dir.path / "env").string(), "--broker", url}, dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    config = dir.path / "env/kiosk.toml";
    if (tls) {
      const fs::path t = dir.path / "tls";
      set_config("url = \"" + url + "\"", "url = \"" + url + "\"\ntls_ca_certificate = \"" + (t / "ca.pem").string() +
                                              "\"\ntls_client_certificate = \"" + (t / "client.pem").string() +
                                              "\"\ntls_client_key = \"" + (t / "client.key").string() + "\"");
    }
    std::ofstream(dir.path / "p1.png", std::ios::binary) << as_string(ob::make_test_page_png(620, 877, 1));
    std::ofstream(dir.path / "p2.png", std::ios::binary) << as_string(ob::make_test_page_png(620, 877, 2));
  }
  static std::string as_string(const ob::Bytes& b) { return std::string(b.begin(), b.end()); }

  RunResult kioskctl(std::vector<std::string> args, int timeout_s = 120) {
    args.insert(args.begin(), bin("kioskctl"));
    args.push_back("--config");
    args.push_back(config.string());
    return run(args, dir.path, timeout_s);
  }
  std::vector<std::string> add_args(int seed, bool pages) {
    std::vector<std::string> a = {bin("kioskctl"), "queue", "add",       "--config",          config.string(),
                                  "--form",        kForm,   "--example", std::to_string(seed)};
    if (pages) a.insert(a.end(), {"--page", (dir.path / "p1.png").string(), "--page", (dir.path / "p2.png").string()});
    return a;
  }
  std::string add(int seed, bool pages = false) {
    auto a = add_args(seed, pages);
    const auto r = run(a, dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    return r.output.substr(0, r.output.find(' '));
  }
  void start_sim(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {bin("platform-sim"), "serve", "--config", config.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    sim = std::make_unique<Process>(a, dir.path / ("sim-" + std::to_string(++sim_runs) + ".log"));
  }
  void stop_sim() { sim.reset(); }
  void set_config(const std::string& line, const std::string& replacement) {
    std::string text = read_text(config);
    const auto at = text.find(line);
    REQUIRE_MESSAGE(at != std::string::npos, line);
    text.replace(at, line.size(), replacement);
    std::ofstream(config) << text;
  }
  json queue() {
    const auto r = kioskctl({"queue", "list", "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.output);
    return json::parse(r.output);
  }
  json accepted_by_sim(bool all = false) {
    std::vector<std::string> a = {bin("platform-sim"), "list", "--config", config.string(), "--json"};
    if (all) a.push_back("--all");
    const auto r = run(a, dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    return json::parse(r.output.substr(r.output.find('[')));
  }
  json entry(const std::string& reference) {
    for (const auto& e : queue())
      if (e["reference"] == reference) return e;
    FAIL("no such reference " << reference);
    return {};
  }
  std::string deliver(int timeout_s, bool until_empty = true, int expected = 0) {
    std::vector<std::string> a = {"queue", "deliver", "--timeout", std::to_string(timeout_s)};
    if (until_empty) a.push_back("--until-empty");
    const auto r = kioskctl(a, timeout_s + 60);
    CHECK_MESSAGE(r.code == expected, r.output);
    return r.output;
  }
  // Another kiosk on the same broker (kioskN.toml beside kiosk.toml): its own store, store key,
  // kiosk id kiosk-000N and reply queue; `changes` edit its configuration further.
  fs::path another_kiosk(int n, std::vector<std::pair<std::string, std::string>> changes = {}) {
    const std::string k = std::to_string(n);
    const fs::path path = dir.path / ("env/kiosk" + k + ".toml");
    std::string text = read_text(config);
    changes.insert(changes.begin(),
                   {{"path = \"kiosk.db\"", "path = \"kiosk" + k + ".db\""},
                    {"key_file = \"store.key\"", "key_file = \"store" + k + ".key\""},
                    {"kiosk_id = \"kiosk-0001\"", "kiosk_id = \"kiosk-000" + k + "\""},
                    {"reply_queue = \"kiosk-0001_async\"", "reply_queue = \"kiosk-000" + k + "_async\""}});
    for (const auto& [from, to] : changes) {
      const auto at = text.find(from);
      REQUIRE_MESSAGE(at != std::string::npos, from);
      text.replace(at, from.size(), to);
    }
    std::ofstream(path) << text;
    return path;
  }
  int audit_count(const std::string& action) {
    auto store = kiosk::store::Store::open(dir.path / "env/kiosk.db", dir.path / "env/store.key");
    auto s = store.db().prepare("SELECT COUNT(*) FROM audit_log WHERE action=?");
    s.bind(1, action);
    s.step();
    return static_cast<int>(s.integer(0));
  }
};

}  // namespace

TEST_CASE(
    "delivery: end to end through RabbitMQ with the simulator, rejections, rollover, bad receipts, broker down, dead "
    "letters") {
  Environment env;
  // 1. Normal delivery: pages, representation, receipts, personal data deleted.
  std::vector<std::string> refs = {env.add(1, true), env.add(2, false), env.add(3, true)};
  {
    const auto r = env.kioskctl({"queue", "add", "--form", kForm, "--example", "4", "--representative", "01018012371",
                                 "--authority", "power-of-attorney", "--assisted-by", "staff-1"});
    REQUIRE_MESSAGE(r.code == 0, r.output);
    refs.push_back(r.output.substr(0, r.output.find(' ')));
  }
  env.start_sim();
  env.deliver(60);
  auto accepted = env.accepted_by_sim();
  CHECK(accepted.size() == 4);
  std::set<std::string> sim_ids;
  for (const auto& a : accepted) sim_ids.insert(a["messageId"].get<std::string>());
  for (const auto& e : env.queue()) {
    CHECK(e["status"] == "accepted");
    CHECK(e["personalDataDeleted"] == true);
    CHECK(e["platformReference"].get<std::string>().rfind("HN-", 0) == 0);
    CHECK(sim_ids.count(e["id"].get<std::string>()) == 1);
  }
  bool found_representation = false;
  for (const auto& a : accepted)
    if (a["representationType"] == "power-of-attorney") {
      found_representation = true;
      CHECK(a["representative"] == "01018012371");
    }
  CHECK(found_representation);
  {
    const auto r = env.kioskctl({"queue", "show", refs[0], "--json"});
    CHECK(r.code == 0);
    CHECK(json::parse(r.output)["status"] == "accepted");
  }

  // 2. Rejected by the platform: reason code and text for staff; retry and cancel audited.
  env.stop_sim();
  env.start_sim({"--reject-rate", "1"});
  const std::string rejected = env.add(10);
  env.deliver(60);
  auto e = env.entry(rejected);
  CHECK(e["status"] == "rejected");
  CHECK(e["reasonCode"] == "KIOSK-000099");
  CHECK_FALSE(e["reasonText"].get<std::string>().empty());
  CHECK(env.kioskctl({"queue", "retry", rejected, "--actor", "staff-2"}).code == 0);
  env.deliver(60);
  CHECK(env.entry(rejected)["status"] == "rejected");  // a new message-id, rejected again (--reject-rate 1)
  CHECK(env.kioskctl({"queue", "cancel", rejected, "--actor", "staff-2"}).code == 0);
  CHECK(env.entry(rejected)["status"] == "cancelled");
  CHECK(env.audit_count("retry") == 1);
  CHECK(env.audit_count("cancel") == 1);

  // 3. Certificate rollover: receipts encrypted to the previous (legacy) certificate.
  env.stop_sim();
  env.start_sim({"--receipts-to-legacy"});
  const std::string rolled = env.add(11);
  env.deliver(60);
  CHECK(env.entry(rolled)["status"] == "accepted");
  env.stop_sim();

  // 4. Bad receipts on the reply queue: a malformed one and one for an unknown message.
  {
    proton::message garbage;
    garbage.body(proton::binary(std::string("this is not a receipt")));
    garbage.durable(true);
    const auto env_dir = env.dir.path / "env";
    ob::KeyPair platform{ob::load_certificate(env_dir / "certs/platform-signing.pem"),
                         ob::load_private_key(env_dir / "certs/platform-signing.key")};
    const auto kiosk_cert = ob::load_certificate(env_dir / "certs/kiosk-decryption.pem");
    const std::string text =
        json{{"messageId", "00000000-0000-4000-8000-000000000000"}, {"outcome", "accepted"}}.dump();
    const auto sealed = ob::sign_then_encrypt(ob::Bytes(text.begin(), text.end()), platform, kiosk_cert.get());
    proton::message unknown;
    unknown.body(proton::binary(sealed.begin(), sealed.end()));
    unknown.durable(true);
    Publisher publisher(env.broker->url(), "/queue/kiosk-0001_async", {garbage, unknown});
    proton::container(publisher).run();
    const std::string out = env.deliver(4, false);
    CHECK(out.find("ignored receipts 2") != std::string::npos);
    CHECK(env.audit_count("receipt-malformed") == 1);
    CHECK(env.audit_count("receipt-unknown") == 1);
  }

  // 5. Broker down: a clear "unavailable" exit, nothing lost; delivered once it is back.
  env.broker->stop();
  const std::string while_down = env.add(12, true);
  env.deliver(3, true, 4);
  CHECK(env.entry(while_down)["status"] == "queued");
  env.broker->start();
  env.start_sim();
  env.deliver(60);
  CHECK(env.entry(while_down)["status"] == "accepted");
  env.stop_sim();

  // 6. A message that keeps failing processing goes to the dead-letter queue after 10 attempts.
  env.start_sim({"--fail-processing", "1000"});
  const std::string doomed = env.add(13);
  env.deliver(8, false);
  env.stop_sim();
  Consumer dead_letters(env.broker->url(), "/queue/platform_async_dl");
  proton::container(dead_letters).run();
  CHECK(dead_letters.count == 1);
  CHECK(env.entry(doomed)["status"] == "sent");  // at the broker, no receipt: staff can see it
  CHECK(env.accepted_by_sim(true).size() == 8);  // 4 + rejected, its retry + rollover + broker down; nothing for it
}

TEST_CASE("delivery: nothing committed is lost when kioskctl, the simulator or the broker are killed") {
  Environment env;
  // Kills can lose a receipt in flight: a short receipt timeout makes the kiosk send again.
  env.set_config("receipt_timeout_s = 120", "receipt_timeout_s = 15");
  std::mt19937 rng(20261125);
  int clean_commits = 0;
  // 1. kill -9 during commits, at random points.
  for (int i = 0; i < 12; ++i) {
    Process p(env.add_args(100 + i, i % 2 == 0), env.dir.path / "add.log");
    if (i % 3 == 0) {
      if (p.wait_for(std::chrono::seconds(60)) == 0) ++clean_commits;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 120)(rng)));
      p.kill(SIGKILL);
    }
  }
  CHECK(clean_commits == 4);
  // 2. kill -9 during delivery, at random points, with the simulator running.
  env.start_sim();
  for (int i = 0; i < 8; ++i) {
    if (i % 2 == 0) env.add(200 + i, true);
    Process p({bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "30"},
              env.dir.path / "deliver.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 1500)(rng)));
    p.kill(SIGKILL);
  }
  // 3. The simulator crashes mid-way (after receiving, before acknowledging).
  env.stop_sim();
  env.add(300, true);
  env.add(301);
  env.start_sim({"--crash-after", "1"});
  {
    Process p({bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "30"},
              env.dir.path / "deliver.log");
    CHECK(env.sim->wait_for(std::chrono::seconds(30)) == 86);
    p.kill(SIGKILL);
  }
  env.start_sim();
  // 4. The broker restarts in the middle of a delivery run.
  for (int i = 0; i < 6; ++i) env.add(400 + i, true);
  {
    Process p(
        {bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "120", "--until-empty"},
        env.dir.path / "deliver-restart.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    env.broker->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    env.broker->start();
    CHECK_MESSAGE(p.wait_for(std::chrono::seconds(150)) == 0, read_text(env.dir.path / "deliver-restart.log"));
  }
  // 5. Everything that was committed reaches the simulator's store exactly once.
  env.deliver(90);
  const json committed = env.queue();
  CHECK(committed.size() >= 4 + 4 + 2 + 6);
  const json stored = env.accepted_by_sim(true);
  std::map<std::string, int> times;
  for (const auto& s : stored) ++times[s["messageId"].get<std::string>()];
  for (const auto& c : committed) {
    CHECK_MESSAGE(c["status"] == "accepted", c.dump());
    CHECK_MESSAGE(times[c["id"].get<std::string>()] == 1, c.dump());
  }
  CHECK(stored.size() == committed.size());
}

TEST_CASE("delivery: over amqps:// to a broker that requires a client certificate") {
  Environment env(true);
  const std::string first = env.add(1, true);
  env.start_sim();
  const std::string output = env.deliver(90);
  CHECK(env.entry(first)["status"] == "accepted");
  CHECK(env.accepted_by_sim().size() == 1);
  CHECK(output.find("connected to amqps://") != std::string::npos);
  // Without the client certificate the broker refuses the kiosk: a clear error, and the
  // submission stays queued.
  const std::string second = env.add(2);
  const std::string text = read_text(env.config);
  env.set_config("tls_client_certificate = \"" + (env.dir.path / "tls/client.pem").string() + "\"\n", "");
  env.set_config("tls_client_key = \"" + (env.dir.path / "tls/client.key").string() + "\"\n", "");
  const std::string refused = env.deliver(4, false);
  CHECK(refused.find("connection problem") != std::string::npos);
  CHECK(env.entry(second)["status"] == "queued");
  // An expired client certificate: checked before connecting, so the submission waits with the
  // reason in plain words (the broker would refuse the connection anyway).
  const fs::path t = env.dir.path / "tls";
  const ob::KeyPair tls_ca{ob::load_certificate(t / "ca.pem"), ob::load_private_key(t / "ca.key")};
  ob::write_pem(ob::make_certificate(tls_ca, {"kiosk-0001", "", -30, -1}), t / "expired.pem", t / "expired.key");
  std::ofstream(env.config) << text;
  env.set_config("tls_client_certificate = \"" + (t / "client.pem").string() + "\"",
                 "tls_client_certificate = \"" + (t / "expired.pem").string() + "\"");
  env.set_config("tls_client_key = \"" + (t / "client.key").string() + "\"",
                 "tls_client_key = \"" + (t / "expired.key").string() + "\"");
  env.deliver(3, false);
  CHECK(env.entry(second)["status"] == "queued");
  CHECK_MESSAGE(env.entry(second)["lastError"].get<std::string>().find(
                    "TLS client certificate for the broker expired") != std::string::npos,
                env.entry(second).dump());
  std::ofstream(env.config) << text;
  env.deliver(90);
  CHECK(env.entry(second)["status"] == "accepted");
  CHECK(env.entry(second)["lastError"] == "");
  CHECK(env.accepted_by_sim().size() == 2);
}

TEST_CASE("delivery: a sheet committed twice, at this kiosk and at another, is one submission at the platform") {
  Environment env;
  // A second kiosk on the same broker: its own store, kiosk id and reply queue.
  const fs::path second = env.another_kiosk(2);
  const std::string sheet = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";  // as printed in the QR code
  auto add = [&](const fs::path& config, int seed, const std::string& sheet_id) {
    const auto r = run({bin("kioskctl"), "queue", "add", "--config", config.string(), "--form", kForm, "--example",
                        std::to_string(seed), "--sheet", sheet_id, "--json"},
                       env.dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    return json::parse(r.output);
  };
  const json first = add(env.config, 1, sheet);
  CHECK(first["sentBefore"] == false);
  CHECK(first["id"] == ob::submission_id_for_sheet(sheet));
  // Scanned again here (a power cut, a photocopy): the first commit's reference, nothing new.
  const json again = add(env.config, 2, sheet);
  CHECK(again["sentBefore"] == true);
  CHECK(again["reference"] == first["reference"]);
  CHECK(again["id"] == first["id"]);
  CHECK(env.queue().size() == 1);
  CHECK(env.audit_count("commit-again") == 1);
  // At the other kiosk: its own reference, but the same message-id.
  const json elsewhere = add(second, 3, sheet);
  CHECK(elsewhere["sentBefore"] == false);
  CHECK(elsewhere["id"] == first["id"]);
  // Another sheet is another submission.
  const json other = add(env.config, 4, "another-sheet-0001");
  CHECK(other["id"] != first["id"]);
  // A sheet id no QR code can hold is refused plainly.
  {
    const auto r = env.kioskctl({"queue", "add", "--form", kForm, "--example", "5", "--sheet", "no spaces/here"});
    CHECK(r.code != 0);
    CHECK(r.output.find("sheet id") != std::string::npos);
  }

  // What will be sent, read by the admin with the store key (audited).
  const auto shown = env.kioskctl({"queue", "show", first["reference"], "--bundle", "--actor", "admin-1"});
  REQUIRE_MESSAGE(shown.code == 0, shown.output);
  const json sent_bundle = json::parse(shown.output);
  CHECK(sent_bundle["identifier"]["value"] == first["id"]);
  CHECK(env.audit_count("show-bundle") == 1);

  env.start_sim();
  env.deliver(60);
  {
    const auto r =
        run({bin("kioskctl"), "queue", "deliver", "--config", second.string(), "--timeout", "60", "--until-empty"},
            env.dir.path, 120);
    CHECK_MESSAGE(r.code == 0, r.output);
  }
  // The platform stored the sheet once; both kiosks know it was accepted.
  std::map<std::string, int> times;
  for (const auto& s : env.accepted_by_sim(true)) ++times[s["messageId"].get<std::string>()];
  CHECK(times.size() == 2);
  CHECK(times[first["id"].get<std::string>()] == 1);
  CHECK(times[other["id"].get<std::string>()] == 1);
  for (const auto& e : env.queue()) CHECK_MESSAGE(e["status"] == "accepted", e.dump());
  const auto listed = run({bin("kioskctl"), "queue", "list", "--json", "--config", second.string()}, env.dir.path);
  REQUIRE_MESSAGE(listed.code == 0, listed.output);
  const json at_second = json::parse(listed.output);
  REQUIRE(at_second.size() == 1);
  CHECK(at_second[0]["status"] == "accepted");
  CHECK(at_second[0]["reference"] == elsewhere["reference"]);
  // The platform received exactly that Bundle (the first kiosk's; the second one's was a duplicate).
  const auto received = run(
      {bin("platform-sim"), "show", first["id"], "--bundle", "--json", "--config", env.config.string()}, env.dir.path);
  REQUIRE_MESSAGE(received.code == 0, received.output);
  CHECK(json::parse(received.output) == sent_bundle);
  // Accepted: the personal data is gone, and the admin is told so plainly.
  const auto gone = env.kioskctl({"queue", "show", first["reference"], "--bundle"});
  CHECK(gone.code != 0);
  CHECK(gone.output.find("no longer kept") != std::string::npos);
  CHECK(run({bin("platform-sim"), "show", "no-such-id", "--bundle", "--config", env.config.string()}, env.dir.path)
            .code != 0);
}

TEST_CASE("delivery: cancel only before the first send, and a receipt after cancel is recorded, never dropped") {
  Environment env;
  // Never sent (the broker has not seen it): staff may give it up.
  const std::string unsent = env.add(1);
  {
    const auto r = env.kioskctl({"queue", "cancel", unsent, "--actor", "staff-1"});
    CHECK_MESSAGE(r.code == 0, r.output);
  }
  CHECK(env.entry(unsent)["status"] == "cancelled");
  // Sent, no receipt yet (the platform is not running): cancelling here would not stop the
  // platform, so it is refused in plain words and the submission stays as it is.
  const std::string sent = env.add(2);
  env.deliver(4, false);
  REQUIRE(env.entry(sent)["status"] == "sent");
  {
    const auto r = env.kioskctl({"queue", "cancel", sent, "--actor", "staff-1"});
    CHECK(r.code != 0);
    CHECK_MESSAGE(r.output.find("withdraw") != std::string::npos, r.output);
  }
  CHECK(env.entry(sent)["status"] == "sent");
  env.start_sim();
  env.deliver(60);
  CHECK(env.entry(sent)["status"] == "accepted");  // what the platform did is what staff see
  env.stop_sim();
  // A receipt for the cancelled one (the platform had it after all): recorded and audited.
  {
    const auto env_dir = env.dir.path / "env";
    ob::KeyPair platform{ob::load_certificate(env_dir / "certs/platform-signing.pem"),
                         ob::load_private_key(env_dir / "certs/platform-signing.key")};
    const auto kiosk_cert = ob::load_certificate(env_dir / "certs/kiosk-decryption.pem");
    const std::string text =
        json{{"messageId", env.entry(unsent)["id"]}, {"outcome", "accepted"}, {"platformReference", "HN-LATE"}}.dump();
    const auto sealed = ob::sign_then_encrypt(ob::Bytes(text.begin(), text.end()), platform, kiosk_cert.get());
    proton::message late;
    late.body(proton::binary(sealed.begin(), sealed.end()));
    late.durable(true);
    Publisher publisher(env.broker->url(), "/queue/kiosk-0001_async", {late});
    proton::container(publisher).run();
  }
  env.deliver(4, false);
  CHECK(env.audit_count("receipt-late") == 1);
  const auto e = env.entry(unsent);
  CHECK(e["status"] == "cancelled");
  CHECK(e["platformReference"] == "HN-LATE");  // staff see what the platform said
}

TEST_CASE("delivery: a rejected submission sent again goes out under a new message-id linked to the rejected one") {
  Environment env;
  env.start_sim({"--reject-rate", "1"});
  const std::string reference = env.add(1, true);
  env.deliver(60);
  const json rejected = env.entry(reference);
  REQUIRE(rejected["status"] == "rejected");
  const std::string old_id = rejected["messageId"];
  CHECK(old_id == rejected["id"]);
  env.stop_sim();
  // The cause is fixed (here: the platform no longer rejects); staff send it again.
  env.start_sim();
  {
    const auto r = env.kioskctl({"queue", "retry", reference, "--actor", "staff-3"});
    REQUIRE_MESSAGE(r.code == 0, r.output);
  }
  const std::string new_id = env.entry(reference)["messageId"];
  CHECK(new_id != old_id);
  env.deliver(60);
  CHECK(env.entry(reference)["status"] == "accepted");
  // The platform has both: the old one rejected, the new one accepted, and the new Bundle
  // names the message it replaces.
  std::map<std::string, std::string> outcome;
  for (const auto& s : env.accepted_by_sim(true)) outcome[s["messageId"]] = s["outcome"];
  CHECK(outcome[old_id] == "rejected");
  CHECK(outcome[new_id] == "accepted");
  const auto shown =
      run({bin("platform-sim"), "show", new_id, "--bundle", "--json", "--config", env.config.string()}, env.dir.path);
  REQUIRE_MESSAGE(shown.code == 0, shown.output);
  const json bundle = json::parse(shown.output);
  CHECK(bundle["identifier"]["value"] == new_id);
  CHECK(bundle["entry"][0]["resource"]["extension"][0]["url"] == ob::kReplacesExtension);
  CHECK(bundle["entry"][0]["resource"]["extension"][0]["valueId"] == old_id);
  // The audit log names both.
  auto store = kiosk::store::Store::open(env.dir.path / "env/kiosk.db", env.dir.path / "env/store.key");
  auto st = store.db().prepare("SELECT detail FROM audit_log WHERE action='retry' AND actor='staff-3'");
  REQUIRE(st.step());
  CHECK(st.text(0).find(new_id) != std::string::npos);
  CHECK(st.text(0).find(old_id) != std::string::npos);
}

TEST_CASE("delivery: two delivery workers at once send each submission once per attempt and count attempts once") {
  // Two `kioskctl queue deliver` started by mistake (the unit and a hand-started one) against a
  // platform that does not answer: each row is claimed by one worker at a time (lease), so every
  // submission goes out once per attempt, and a missing receipt is one failed attempt, not two.
  // With delivery.max_attempts = 3 each is parked after exactly 3 copies reached the broker.
  Environment env;
  env.set_config("max_attempts = 10", "max_attempts = 3");
  env.set_config("receipt_timeout_s = 120", "receipt_timeout_s = 1");
  constexpr int kSubmissions = 6;
  std::vector<std::string> refs;
  for (int i = 0; i < kSubmissions; ++i) refs.push_back(env.add(500 + i));
  {
    Process a({bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "10"},
              env.dir.path / "worker-a.log");
    Process b({bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "10"},
              env.dir.path / "worker-b.log");
    CHECK_MESSAGE(a.wait_for(std::chrono::seconds(60)) == 0, read_text(env.dir.path / "worker-a.log"));
    CHECK_MESSAGE(b.wait_for(std::chrono::seconds(60)) == 0, read_text(env.dir.path / "worker-b.log"));
  }
  std::map<std::string, int> attempts;
  for (const auto& e : env.queue()) {
    CHECK_MESSAGE(e["status"] == "parked", e.dump());
    attempts[e["id"].get<std::string>()] = e["attempts"].get<int>();
  }
  // Both workers did send (the lease shares the work, it does not stop the second one).
  CHECK(read_text(env.dir.path / "worker-a.log").find("connected to") != std::string::npos);
  CHECK(read_text(env.dir.path / "worker-b.log").find("connected to") != std::string::npos);
  // The platform reads every copy that reached the broker (its wire log counts each one).
  env.start_sim();
  const fs::path sim_db = env.dir.path / "env/platform-sim.db";
  auto copies_seen = [&] {
    if (!fs::exists(sim_db)) return std::int64_t{0};
    kiosk::store::Database db(sim_db, false);
    auto st = db.prepare("SELECT COUNT(*) FROM wire_log");
    st.step();
    return st.integer(0);
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (copies_seen() < kSubmissions * 3 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // any copy beyond the expected ones
  env.stop_sim();
  std::map<std::string, int> copies;
  {
    kiosk::store::Database db(sim_db, false);
    for (auto st = db.prepare("SELECT message_id FROM wire_log"); st.step();) ++copies[st.text(0)];
  }
  CHECK(copies.size() == static_cast<size_t>(kSubmissions));
  for (const auto& [id, n] : attempts) {
    CHECK_MESSAGE(n == 3, id);           // parked after 3 attempts, each counted once
    CHECK_MESSAGE(copies[id] == 3, id);  // and each attempt was one copy, not one per worker
  }
  // The platform answered (once per message-id); staff send the parked ones again and they are
  // accepted, each held once by the platform.
  for (const auto& r : refs) CHECK(env.kioskctl({"queue", "retry", r}).code == 0);
  env.start_sim();
  env.deliver(60);
  std::map<std::string, int> held;
  for (const auto& s : env.accepted_by_sim(true)) ++held[s["messageId"].get<std::string>()];
  for (const auto& e : env.queue()) {
    CHECK_MESSAGE(e["status"] == "accepted", e.dump());
    CHECK(held[e["id"].get<std::string>()] == 1);
  }
}

TEST_CASE(
    "delivery: health reports reach platform-sim fleet, at once after a staff PIN lock-out, without personal data") {
  Environment env;
  const std::string reference = env.add(1, true);
  auto fleet = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {
        bin("platform-sim"), "fleet", "--config", env.config.string(), "--json", "--wait", "3"};
    a.insert(a.end(), extra.begin(), extra.end());
    const auto r = run(a, env.dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    return json::parse(r.output.substr(r.output.find('[')));
  };
  // The worker reports when it connects: counts only, no lock-outs yet.
  env.deliver(3, false);
  json kiosks = fleet();
  REQUIRE(kiosks.size() == 1);
  CHECK(kiosks[0]["kioskId"] == "kiosk-0001");
  CHECK(kiosks[0]["needsAttention"] == false);
  const json& first = kiosks[0]["report"];
  // Sent meanwhile (no platform answers here), so queued or waiting for its receipt.
  CHECK(first["queue"]["queued"].get<int>() + first["queue"]["sent"].get<int>() == 1);
  CHECK(first["lockoutsSinceLastReport"] == 0);
  const std::string text = first.dump();
  CHECK(text.find(reference) == std::string::npos);  // no submission reference, no answers, no ids
  CHECK(text.find(env.entry(reference)["id"].get<std::string>()) == std::string::npos);

  // A worker runs (as the delivery unit does); someone guesses staff PINs until sign-in locks.
  Process worker({bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "40"},
                 env.dir.path / "worker.log");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // connected, its first report sent
  {
    auto store = kiosk::store::Store::open(env.dir.path / "env/kiosk.db", env.dir.path / "env/store.key");
    kiosk::store::StoredSignInFailures failures;
    failures.counts.push_back({"*", 0, kiosk::store::now_ms() + 300000, 1});
    kiosk::store::save_sign_in_failures(store.db(), failures, kiosk::store::now_ms());
    REQUIRE(kiosk::store::count_staff_lockouts_since(store.db(), 0) == 1);
  }
  // Reported at once (the interval is 5 minutes): the operator sees it within seconds.
  bool seen = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!seen && std::chrono::steady_clock::now() < until) {
    kiosks = fleet();
    seen = kiosks.size() == 1 && kiosks[0]["report"]["lockoutsSinceLastReport"] == 1;
  }
  REQUIRE_MESSAGE(seen, read_text(env.dir.path / "worker.log"));
  CHECK(kiosks[0]["needsAttention"] == true);
  CHECK(kiosks[0]["attention"].dump().find("lock-out") != std::string::npos);
  worker.kill(SIGTERM);
  worker.wait_for(std::chrono::seconds(10));
  // The plain view says the same; a kiosk whose reports stop is flagged as late.
  {
    kiosk::store::Database sim(env.dir.path / "env/platform-sim.db", false);
    sim.exec("UPDATE health SET report=json_set(report, '$.time', '2026-01-01T00:00:00Z')");
  }
  const auto plain = run({bin("platform-sim"), "fleet", "--config", env.config.string(), "--no-read"}, env.dir.path);
  CHECK(plain.code == 0);
  CHECK_MESSAGE(plain.output.find("NEEDS A PERSON: no health report since 2026-01-01T00:00:00Z") != std::string::npos,
                plain.output);
  CHECK_MESSAGE(plain.output.find("NEEDS A PERSON: 1 staff PIN lock-out(s)") != std::string::npos, plain.output);
}

namespace {

ob::KeyPair demo_ca(const Environment& env) {
  return {ob::load_certificate(env.dir.path / "env/certs/ca.pem"),
          ob::load_private_key(env.dir.path / "env/certs/ca.key")};
}

json queue_status(Environment& env) {
  const auto r = env.kioskctl({"queue", "status", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.output);
  return json::parse(r.output);
}

// Polls `ready` (up to `seconds`); true once it holds.
template <typename Ready>
bool eventually(Ready ready, int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ready();
}

}  // namespace

TEST_CASE("delivery: a receipt that fails a check here is kept on the broker, counted, and applied once fixed") {
  Environment env;
  const std::string a = env.add(1), b = env.add(2, true);
  // Sent while the platform is away; it answers later, the receipts wait on the reply queue.
  const std::string first_run = env.deliver(4, false);
  REQUIRE_MESSAGE(env.entry(a)["status"] == "sent", first_run);
  REQUIRE(env.entry(b)["status"] == "sent");
  env.start_sim();
  REQUIRE(eventually([&] { return env.accepted_by_sim().size() == 2; }, 30));
  env.stop_sim();
  // Meanwhile the kiosk's revocation list went out of date: no receipt's signer can be checked here.
  const auto ca = demo_ca(env);
  const fs::path crl = env.dir.path / "env/crl.pem";
  std::ofstream(crl) << ob::make_crl_pem(ca, {}, -1);
  env.set_config("[security]\n", "[security]\ncrl_file = \"crl.pem\"\n");
  Process worker(
      {bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "90", "--until-empty"},
      env.dir.path / "worker.log");
  // Not dropped: kept on the broker and counted where staff and the admin look.
  CHECK_MESSAGE(eventually([&] { return queue_status(env)["heldReceipts"] == 2; }, 30),
                read_text(env.dir.path / "worker.log"));
  CHECK(env.entry(a)["status"] == "sent");
  CHECK(env.entry(b)["status"] == "sent");
  {
    const auto r = env.kioskctl({"queue", "status"});
    CHECK_MESSAGE(r.output.find("2 receipt(s) from the platform could not be checked here") != std::string::npos,
                  r.output);
  }
  CHECK(env.audit_count("receipt-held") >= 2);
  // The admin installs a current list; the running worker reads the held receipts back and applies them.
  std::ofstream(crl) << ob::make_crl_pem(ca, {}, 30);
  CHECK_MESSAGE(worker.wait_for(std::chrono::seconds(90)) == 0, read_text(env.dir.path / "worker.log"));
  CHECK(env.entry(a)["status"] == "accepted");
  CHECK(env.entry(b)["status"] == "accepted");
  CHECK(queue_status(env)["heldReceipts"] == 0);
  // Applied from the receipts the platform sent then: it was not asked again.
  CHECK(env.accepted_by_sim(true).size() == 2);
  CHECK(env.audit_count("receipt-malformed") == 0);
  // Nothing is left behind in the held queue.
  Consumer leftovers(env.broker->url(), "/queue/kiosk-0001_async_held");
  proton::container(leftovers).run();
  CHECK(leftovers.count == 0);
}

TEST_CASE(
    "delivery: an expired certificate keeps messages queued with a plain reason, and they go once it is renewed") {
  Environment env;
  const auto ca = demo_ca(env);
  const fs::path certs = env.dir.path / "env/certs";
  const std::string usage = "critical,nonRepudiation,digitalSignature";
  // The kiosk's signing certificate ran out yesterday.
  ob::write_pem(ob::make_certificate(ca, {"kiosk-0001 signing (TEST)", usage, -30, -1}), certs / "kiosk-signing.pem",
                certs / "kiosk-signing.key");
  const std::string reference = env.add(1, true);
  env.start_sim();
  env.deliver(4, false);
  // Not sent (the platform would reject it for good): queued, no attempt counted, the reason in plain words.
  json e = env.entry(reference);
  CHECK(e["status"] == "queued");
  CHECK(e["attempts"] == 0);
  CHECK_MESSAGE(e["lastError"].get<std::string>().find("signing certificate expired on") != std::string::npos,
                e.dump());
  {
    const auto r = env.kioskctl({"queue", "list"});
    CHECK_MESSAGE(r.output.find("signing certificate expired on") != std::string::npos, r.output);
  }
  const json status = queue_status(env);
  CHECK(status["sendingBlocked"].get<std::string>().find("expired") != std::string::npos);
  CHECK(env.accepted_by_sim(true).empty());
  // The operator sees it in the kiosk's health report, with the date.
  {
    const auto r =
        run({bin("platform-sim"), "fleet", "--config", env.config.string(), "--json", "--wait", "3"}, env.dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    const json fleet = json::parse(r.output.substr(r.output.find('[')));
    REQUIRE(fleet.size() == 1);
    CHECK(fleet[0]["needsAttention"] == true);
    bool dated = false;
    for (const auto& c : fleet[0]["report"]["certificates"])
      dated = dated || (c["key"] == "security.signing_certificate" && !c["notAfter"].get<std::string>().empty());
    CHECK(dated);
    CHECK_MESSAGE(fleet[0]["attention"].dump().find("security.signing_certificate expired on") != std::string::npos,
                  fleet[0].dump());
  }
  // Renewed, valid for 10 days: sent and accepted; the doctor-style warning is in the health report.
  ob::write_pem(ob::make_certificate(ca, {"kiosk-0001 signing (TEST)", usage, -1, 10}), certs / "kiosk-signing.pem",
                certs / "kiosk-signing.key");
  env.deliver(60);
  e = env.entry(reference);
  CHECK(e["status"] == "accepted");
  CHECK(e["lastError"] == "");
  CHECK(queue_status(env)["sendingBlocked"].is_null());
  {
    const auto r =
        run({bin("platform-sim"), "fleet", "--config", env.config.string(), "--json", "--wait", "3"}, env.dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
    const json fleet = json::parse(r.output.substr(r.output.find('[')));
    REQUIRE(fleet.size() == 1);
    CHECK_MESSAGE(fleet[0]["attention"].dump().find("security.signing_certificate expires on") != std::string::npos,
                  fleet[0].dump());
  }
  env.stop_sim();
}

TEST_CASE(
    "delivery: a submission parked because a certificate could not be used goes again by itself once it is fixed") {
  Environment env;
  env.set_config("max_attempts = 10", "max_attempts = 2");
  const auto ca = demo_ca(env);
  const fs::path certs = env.dir.path / "env/certs";
  // A platform certificate that may not be encrypted to (no dataEncipherment): every build fails.
  ob::write_pem(ob::make_certificate(ca, {"platform (wrong usage)", "critical,digitalSignature"}),
                certs / "platform-wrong.pem", certs / "platform-wrong.key");
  env.set_config("platform_encryption_certificate = \"certs/platform-encryption.pem\"",
                 "platform_encryption_certificate = \"certs/platform-wrong.pem\"");
  const std::string reference = env.add(1);
  env.deliver(5, false);
  REQUIRE(env.entry(reference)["status"] == "parked");
  // The right certificate is installed again: no staff action, the next worker sends it.
  env.set_config("platform_encryption_certificate = \"certs/platform-wrong.pem\"",
                 "platform_encryption_certificate = \"certs/platform-encryption.pem\"");
  env.start_sim();
  env.deliver(60);
  CHECK(env.entry(reference)["status"] == "accepted");
  CHECK(env.audit_count("auto-retry") == 1);
  env.stop_sim();
}

TEST_CASE("delivery: staff ask the platform to withdraw a sent submission, and its answer is recorded") {
  Environment env;
  const std::string sent = env.add(1, true);
  env.add(2);  // another submission: the platform keeps it
  env.start_sim();
  env.deliver(60);
  REQUIRE(env.entry(sent)["status"] == "accepted");
  // One never sent cannot be withdrawn (there is nothing at the platform): cancel it instead.
  env.stop_sim();
  const std::string later = env.add(3);
  {
    const auto r = env.kioskctl({"queue", "withdraw", later, "--actor", "staff-1"});
    CHECK(r.code != 0);
    CHECK_MESSAGE(r.output.find("cancel it instead") != std::string::npos, r.output);
  }
  {
    const auto r = env.kioskctl({"queue", "withdraw", sent, "--actor", "staff-1", "--reason", "signed by mistake"});
    REQUIRE_MESSAGE(r.code == 0, r.output);
  }
  CHECK(env.entry(sent)["withdrawal"] == "queued");
  {
    const auto again = env.kioskctl({"queue", "withdraw", sent, "--actor", "staff-1"});
    CHECK(again.code != 0);
    CHECK(again.output.find("already under way") != std::string::npos);
  }
  // The worker sends the request; the platform marks what it stored withdrawn and answers.
  env.start_sim();
  env.deliver(60);
  const json e = env.entry(sent);
  CHECK(e["status"] == "accepted");
  CHECK(e["withdrawal"] == "withdrawn");
  bool withdrawn = false, others_kept = true;
  for (const auto& s : env.accepted_by_sim(true)) {
    if (s["messageId"] == e["id"])
      withdrawn = s["withdrawn"] == true;
    else
      others_kept = others_kept && s["withdrawn"] == false;
  }
  CHECK(withdrawn);
  CHECK(others_kept);
  CHECK(env.audit_count("withdraw-requested") == 1);
  CHECK(env.audit_count("withdrawn") == 1);
  {
    const auto r = env.kioskctl({"queue", "list"});
    CHECK_MESSAGE(r.output.find("withdrawal withdrawn") != std::string::npos, r.output);
  }
  env.stop_sim();
}

namespace {

// A receipt as the platform would send it, sealed to this kiosk's decryption certificate and
// signed by `signer` (the platform's signing key unless a test forges one).
proton::message sealed_receipt(const Environment& env, const json& body, const ob::KeyPair* signer = nullptr) {
  const auto env_dir = env.dir.path / "env";
  ob::KeyPair platform{ob::load_certificate(env_dir / "certs/platform-signing.pem"),
                       ob::load_private_key(env_dir / "certs/platform-signing.key")};
  const auto kiosk_cert = ob::load_certificate(env_dir / "certs/kiosk-decryption.pem");
  const std::string text = body.dump();
  const auto sealed =
      ob::sign_then_encrypt(ob::Bytes(text.begin(), text.end()), signer ? *signer : platform, kiosk_cert.get());
  proton::message m;
  m.body(proton::binary(sealed.begin(), sealed.end()));
  m.durable(true);
  return m;
}

// A COUNT(*) query on the kiosk's store.
std::int64_t store_count(Environment& env, const std::string& sql) {
  auto store = kiosk::store::Store::open(env.dir.path / "env/kiosk.db", env.dir.path / "env/store.key");
  auto st = store.db().prepare(sql);
  st.step();
  return st.integer(0);
}

// How many copies of each message-id reached the platform (its wire log).
std::map<std::string, int> copies_at_platform(Environment& env) {
  std::map<std::string, int> copies;
  if (!fs::exists(env.dir.path / "env/platform-sim.db")) return copies;  // the platform has not started yet
  kiosk::store::Database db(env.dir.path / "env/platform-sim.db", false);
  for (auto st = db.prepare("SELECT message_id FROM wire_log"); st.step();) ++copies[st.text(0)];
  return copies;
}

}  // namespace

TEST_CASE(
    "delivery: a submission delivered three times and its receipts delivered three times: stored once, applied once") {
  Environment env;
  const std::string a = env.add(1, true), b = env.add(2);
  env.deliver(4, false);  // at the broker; the platform is away
  REQUIRE(env.entry(a)["status"] == "sent");
  REQUIRE(env.entry(b)["status"] == "sent");
  // The broker hands the platform one of them three times (a redelivery after a lost
  // acknowledgement looks like this): the same message, same message-id.
  Consumer taken(env.broker->url(), "/queue/platform_async", 2, 3000);
  taken.keep_all = true;
  proton::container(taken).run();
  REQUIRE(taken.all.size() == 2);
  const std::string duplicated = proton::to_string(taken.all[0].id());
  Publisher again(env.broker->url(), "/queue/platform_async", {taken.all[0], taken.all[1], taken.all[0], taken.all[0]});
  proton::container(again).run();
  env.start_sim();
  REQUIRE(eventually([&] { return copies_at_platform(env)[duplicated] == 3; }, 30));
  REQUIRE(eventually([&] { return env.accepted_by_sim(true).size() == 2; }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the last answers on their way
  env.stop_sim();
  // The platform stored each submission once and answered every copy: four receipts wait.
  std::map<std::string, int> stored;
  for (const auto& s : env.accepted_by_sim(true)) ++stored[s["messageId"].get<std::string>()];
  CHECK(stored.size() == 2);
  for (const auto& [id, n] : stored) CHECK_MESSAGE(n == 1, id);
  // The kiosk applies one receipt per submission; the copies are recognised, acknowledged, not applied twice.
  const std::string out = env.deliver(60);
  CHECK(env.entry(a)["status"] == "accepted");
  CHECK(env.entry(b)["status"] == "accepted");
  CHECK_MESSAGE(out.find("ignored receipts 2") != std::string::npos, out);
  CHECK(store_count(env, "SELECT COUNT(*) FROM receipts") == 2);  // one recorded per submission
  CHECK(queue_status(env)["heldReceipts"] == 0);
  CHECK(env.broker->messages_on("kiosk-0001_async") == 0);
  CHECK(env.broker->messages_on("kiosk-0001_async_held") == 0);
}

TEST_CASE(
    "delivery: a receipt signed by a key that is not the platform's is held, never applied - the platform's own "
    "decides") {
  Environment env;
  const std::string reference = env.add(1, true);
  env.deliver(4, false);
  REQUIRE(env.entry(reference)["status"] == "sent");
  // Someone who knows the kiosk's public certificate forges a rejection, signed by a key and
  // certificate of their own (not issued by the platform's CA).
  const auto forger_ca = ob::make_ca("Not the platform");
  const auto forger = ob::make_certificate(
      forger_ca, {"platform-signing (forged)", "critical,nonRepudiation,digitalSignature", -1, 30});
  Publisher forged(
      env.broker->url(), "/queue/kiosk-0001_async",
      {sealed_receipt(
          env, {{"messageId", env.entry(reference)["id"]}, {"outcome", "rejected"}, {"reasonCode", "KIOSK-000099"}},
          &forger)});
  proton::container(forged).run();
  env.deliver(4, false);
  // Not applied: still waiting for the platform; kept on the broker and counted.
  CHECK(env.entry(reference)["status"] == "sent");
  CHECK(queue_status(env)["heldReceipts"] == 1);
  CHECK(env.audit_count("receipt-held") >= 1);
  // The platform's own receipt decides.
  env.start_sim();
  env.deliver(60);
  env.stop_sim();
  const json e = env.entry(reference);
  CHECK(e["status"] == "accepted");
  CHECK(env.accepted_by_sim(true).size() == 1);
  CHECK(store_count(env, "SELECT COUNT(*) FROM receipts WHERE outcome='rejected'") == 0);
}

TEST_CASE(
    "delivery: the reply queue deleted on the broker, with receipts on it and while the worker reads it: nothing "
    "lost") {
  Environment env;
  // A lost receipt is noticed by its timeout: the kiosk sends again, the platform answers again.
  env.set_config("receipt_timeout_s = 120", "receipt_timeout_s = 3");
  std::vector<std::string> refs;
  for (int i = 0; i < 3; ++i) refs.push_back(env.add(10 + i, i == 0));
  env.deliver(4, false);
  env.start_sim();
  REQUIRE(eventually([&] { return env.accepted_by_sim().size() == 3; }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // 1. Someone deletes the kiosk's reply queue with the three receipts on it.
  REQUIRE(env.broker->ctl({"delete_queue", "kiosk-0001_async"}) == 0);
  // 2. More submissions; a worker runs, and the queue is deleted again while it reads from it.
  for (int i = 0; i < 3; ++i) refs.push_back(env.add(20 + i));
  {
    Process worker(
        {bin("kioskctl"), "queue", "deliver", "--config", env.config.string(), "--timeout", "90", "--until-empty"},
        env.dir.path / "worker.log");
    REQUIRE(eventually([&] { return read_text(env.dir.path / "worker.log").find("connected to") != std::string::npos; },
                       30));
    CHECK(env.broker->ctl({"delete_queue", "kiosk-0001_async"}) == 0);
    CHECK_MESSAGE(worker.wait_for(std::chrono::seconds(120)) == 0, read_text(env.dir.path / "worker.log"));
  }
  env.stop_sim();
  // Every submission accepted, each stored once by the platform.
  std::map<std::string, int> stored;
  for (const auto& s : env.accepted_by_sim(true)) ++stored[s["messageId"].get<std::string>()];
  for (const auto& r : refs) {
    const json e = env.entry(r);
    CHECK_MESSAGE(e["status"] == "accepted", e.dump());
    CHECK(stored[e["id"].get<std::string>()] == 1);
  }
  CHECK(stored.size() == refs.size());
  CHECK(env.audit_count("receipt-overdue") >= 3);  // the first three were sent again
}

TEST_CASE("delivery: parked because the broker refused them or no receipt came, they go again by themselves") {
  Environment env;
  env.set_config("max_attempts = 10", "max_attempts = 2");
  env.set_config("receipt_timeout_s = 120", "receipt_timeout_s = 1");
  // 1. No receipt: the platform is away; each is sent twice, then parked.
  const std::string unanswered = env.add(1, true);
  env.deliver(6, false);
  REQUIRE(env.entry(unanswered)["status"] == "parked");
  // 2. The broker refuses: the platform's queue is full and rejects new messages.
  REQUIRE(env.broker->ctl({"set_policy", "full", "^platform_async$", R"({"max-length":2,"overflow":"reject-publish"})",
                           "--apply-to", "queues"}) == 0);
  const std::string refused = env.add(2);
  env.deliver(6, false);
  json e = env.entry(refused);
  REQUIRE_MESSAGE(e["status"] == "parked", e.dump());
  CHECK(e["lastError"].get<std::string>().find("broker") != std::string::npos);
  CHECK(env.entry(unanswered)["status"] == "parked");
  // Both causes clear: the queue takes messages again and the platform answers. No staff action.
  REQUIRE(env.broker->ctl({"clear_policy", "full"}) == 0);
  env.start_sim();
  env.deliver(60);
  env.stop_sim();
  CHECK(env.entry(unanswered)["status"] == "accepted");
  CHECK(env.entry(refused)["status"] == "accepted");
  CHECK(env.audit_count("auto-retry") >= 1);  // the refused one; the unanswered one's receipt may come first
  CHECK(env.audit_count("retry") == 0);       // no staff action
  std::map<std::string, int> stored;
  for (const auto& s : env.accepted_by_sim(true)) ++stored[s["messageId"].get<std::string>()];
  CHECK(stored.size() == 2);
  for (const auto& [id, n] : stored) CHECK_MESSAGE(n == 1, id);
}

TEST_CASE("delivery: platform-sim fleet shows every kiosk of a fleet on one broker, and which one needs a person") {
  Environment env;
  const auto ca = demo_ca(env);
  const fs::path certs = env.dir.path / "env/certs";
  // kiosk-0002 cannot encrypt for the platform (a certificate without dataEncipherment): parked.
  ob::write_pem(ob::make_certificate(ca, {"platform (wrong usage)", "critical,digitalSignature"}),
                certs / "platform-wrong.pem", certs / "platform-wrong.key");
  const fs::path second = env.another_kiosk(2, {{"certs/platform-encryption.pem", "certs/platform-wrong.pem"},
                                                {"max_attempts = 10", "max_attempts = 1"},
                                                {"name = \"Demo-kiosk\"", "name = \"Filial Nord\""}});
  // kiosk-0003's signing certificate ran out yesterday: sending stopped.
  ob::write_pem(
      ob::make_certificate(ca, {"kiosk-0003 signing (TEST)", "critical,nonRepudiation,digitalSignature", -30, -1}),
      certs / "kiosk3-signing.pem", certs / "kiosk3-signing.key");
  const fs::path third = env.another_kiosk(3, {{"certs/kiosk-signing.pem", "certs/kiosk3-signing.pem"},
                                               {"certs/kiosk-signing.key", "certs/kiosk3-signing.key"}});
  for (const fs::path& config : {env.config, second, third}) {
    const auto r =
        run({bin("kioskctl"), "queue", "add", "--config", config.string(), "--form", kForm, "--example", "1"},
            env.dir.path);
    REQUIRE_MESSAGE(r.code == 0, r.output);
  }
  env.start_sim();
  // The three kiosks' delivery workers at once, as on three machines; kiosk-0001's and
  // kiosk-0002's run again afterwards, so that their reports at connect say what came of it
  // (a report is sent when a worker connects, not after every receipt).
  {
    std::vector<std::unique_ptr<Process>> workers;
    int n = 0;
    for (const fs::path& config : {env.config, second, third})
      workers.push_back(std::make_unique<Process>(
          std::vector<std::string>{bin("kioskctl"), "queue", "deliver", "--config", config.string(), "--timeout", "6"},
          env.dir.path / ("fleet-worker-" + std::to_string(++n) + ".log")));
    for (auto& w : workers) CHECK(w->wait_for(std::chrono::seconds(60)) == 0);
  }
  for (const fs::path& config : {env.config, second})
    CHECK(
        run({bin("kioskctl"), "queue", "deliver", "--config", config.string(), "--timeout", "2"}, env.dir.path).code ==
        0);
  env.stop_sim();
  const auto r =
      run({bin("platform-sim"), "fleet", "--config", env.config.string(), "--json", "--wait", "3"}, env.dir.path);
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const json fleet = json::parse(r.output.substr(r.output.find('[')));
  REQUIRE(fleet.size() == 3);
  std::map<std::string, json> by_id;
  for (const auto& k : fleet) by_id[k["kioskId"]] = k;
  REQUIRE(by_id.count("kiosk-0001") == 1);
  REQUIRE(by_id.count("kiosk-0002") == 1);
  REQUIRE(by_id.count("kiosk-0003") == 1);
  CHECK_MESSAGE(by_id["kiosk-0001"]["needsAttention"] == false, by_id["kiosk-0001"].dump());
  CHECK(by_id["kiosk-0001"]["report"]["lastAcceptedAt"].is_string());
  CHECK(by_id["kiosk-0002"]["report"]["site"] == "Filial Nord");
  CHECK_MESSAGE(by_id["kiosk-0002"]["attention"].dump().find("1 parked submission(s)") != std::string::npos,
                by_id["kiosk-0002"].dump());
  CHECK_MESSAGE(
      by_id["kiosk-0003"]["attention"].dump().find("security.signing_certificate expired on") != std::string::npos,
      by_id["kiosk-0003"].dump());
  CHECK(by_id["kiosk-0003"]["report"]["queue"]["queued"] == 1);
  // The operator's plain view: one line per kiosk, what needs a person under it.
  const auto plain = run({bin("platform-sim"), "fleet", "--config", env.config.string(), "--no-read"}, env.dir.path);
  CHECK(plain.code == 0);
  for (const char* id : {"kiosk-0001", "kiosk-0002", "kiosk-0003"})
    CHECK_MESSAGE(plain.output.find(std::string(id) + "  ") != std::string::npos, plain.output);
  CHECK_MESSAGE(plain.output.find("NEEDS A PERSON: 1 parked submission(s)") != std::string::npos, plain.output);
}

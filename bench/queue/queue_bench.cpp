// queue_bench [--rounds N] [--commits N] [--deliveries N] [--commit-only]
// Measures (1) durable commits per second (synchronous=FULL) of a typical submission with
// two A4 page images, with CPU time per commit, (2) submissions per second delivered
// through a private RabbitMQ to platform-sim and receipted (the delivering kioskctl
// builds, signs and encrypts each message), with CPU time per submission of kioskctl and
// platform-sim and the delivering process's peak memory, and (3) as the
// yardstick in the same run, the raw publish rate of a small Proton sender sending
// durable messages of the same size to the same broker.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver_options.hpp>
#include <proton/source_options.hpp>
#include <proton/delivery.hpp>
#include <proton/sender.hpp>
#include <proton/sender_options.hpp>
#include <proton/target_options.hpp>
#include <proton/tracker.hpp>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "helpers.hpp"
#include "proton_support.hpp"
#include "outbox/outbox.hpp"
#include "outbox/pdf.hpp"

using namespace queue_test;
namespace ob = kiosk::outbox;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string load_average() {
  std::string text = read_text("/proc/loadavg");
  return text.substr(0, text.find(' ', text.find(' ', text.find(' ') + 1) + 1));
}

// Disk yardstick: appends `bytes` and fdatasyncs, `count` times, in `dir`; returns writes/s.
double raw_sync_rate(const fs::path& dir, size_t bytes, int count) {
  const fs::path file = dir / "raw-sync-yardstick";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  std::string block(bytes, 'y');
  for (size_t i = 0; i < block.size(); i += 97) block[i] = static_cast<char>(i * 31);
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i)
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fdatasync(fd) != 0) break;
  const double rate = count / seconds_since(t0);
  ::close(fd);
  fs::remove(file);
  return rate;
}

double cpu_seconds(const rusage& ru) {
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

// User + system CPU time of a running process, all threads (/proc/PID/stat fields 14, 15).
double process_cpu_seconds(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// From kioskctl's log: seconds from the delivery connection's opening to the last receipt
// applied (the lines carry the time since kioskctl's start), i.e. timed like the raw
// publisher, which counts from its connection's opening to the broker's last settlement.
// Negative if the log does not have both.
double connected_to_last_receipt(const std::string& log) {
  double connected = -1, last_receipt = -1;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("deliver: [", 0) != 0) continue;
    const double at = std::stod(line.substr(10));
    if (connected < 0 && line.find("] connected to ") != std::string::npos) connected = at;
    if (line.find("] receipt accepted: ") != std::string::npos) last_receipt = at;
  }
  return connected >= 0 && last_receipt > connected ? last_receipt - connected : -1;
}

struct Stats {
  double median, min, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5, commits = 200, deliveries = 200;
  bool commit_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--commit-only")
      commit_only = true;
    else if (flag == "--rounds" && has_value)
      rounds = std::stoi(argv[++i]);
    else if (flag == "--commits" && has_value)
      commits = std::stoi(argv[++i]);
    else if (flag == "--deliveries" && has_value)
      deliveries = std::stoi(argv[++i]);
  }
  TempDir dir("kiosk-queue-bench");
  RabbitBroker broker(dir.path / "broker");
  const auto r =
      run({bin("kioskctl"), "demo-env", "--out", (dir.path / "env").string(), "--broker", broker.url()}, dir.path);
  if (r.code != 0) {
    std::cerr << r.output;
    return 1;
  }
  const auto config_file = dir.path / "env/kiosk.toml";
  kiosk::Config config = kiosk::Config::load(config_file);
  const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  const auto& form = catalogue.at("reservasjon-kjernejournal");
  // A typical submission: two A4 pages scanned at 150 dpi, grey.
  const std::vector<ob::Bytes> pages = {ob::make_test_page_png(1240, 1754, 1), ob::make_test_page_png(1240, 1754, 2)};
  std::printf("page images: %zu + %zu bytes PNG\n", pages[0].size(), pages[1].size());

  std::vector<double> commit_rates, delivery_rates, raw_rates, consume_rates, peak_mib;
  size_t payload_bytes = 0;
  ob::Outbox outbox(config);
  std::vector<double> commit_cpu_ms, commit_sys_ms;
  std::vector<double> disk_rates;
  size_t commit_bytes = 0;
  std::printf("load average before commits: %s\n", load_average().c_str());
  for (int round = 0; round < rounds; ++round) {
    // Test data is made before the clock starts: only commit_submission is timed.
    std::vector<ob::NewSubmission> batch(static_cast<size_t>(commits));
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].form_id = form.id;
      batch[i].answers =
          forms::make_example_answers(form, static_cast<unsigned>(round * commits) + static_cast<unsigned>(i));
      batch[i].pages = pages;
      // Each commit carries its sheet's id, as the kiosk's do (checked against the UNIQUE index).
      batch[i].sheet_id = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(round) + "-" + std::to_string(i);
    }
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    const auto t0 = Clock::now();
    for (const auto& s : batch) outbox.commit_submission(s, "bench");
    commit_rates.push_back(commits / seconds_since(t0));
    // CPU time per commit (user + system; system is mostly the WAL write, fsync and
    // checkpoint): what the rate would be on one otherwise idle core.
    getrusage(RUSAGE_SELF, &after);
    commit_cpu_ms.push_back(1000.0 * (cpu_seconds(after) - cpu_seconds(before)) / commits);
    commit_sys_ms.push_back(
        1000.0 *
        (after.ru_stime.tv_sec - before.ru_stime.tv_sec + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6) /
        commits);
    if (commit_bytes == 0) {
      auto st = outbox.store().db().prepare(
          "SELECT (SELECT AVG(LENGTH(payload)) FROM outbox) + (SELECT SUM(LENGTH(image)) FROM pages) / (SELECT "
          "COUNT(*) FROM submissions)");
      st.step();
      commit_bytes = static_cast<size_t>(st.integer(0));
    }
    // The disk's own rate for the same bytes per durable write, same folder, same run.
    disk_rates.push_back(raw_sync_rate(config.get_path("store.path").parent_path(), commit_bytes, 50));
  }
  {
    // The message as the delivery worker builds it from the stored submission.
    const auto due = outbox.due_messages(kiosk::store::now_ms() + 1000, 1, {});
    if (due.empty()) return 1;
    payload_bytes = due.front().payload.size();
    // due_messages claimed that row for this process (a lease, 60 s): give it back, or the round
    // that holds it waits for the lease to run out (this process is alive, so no worker may take
    // it over sooner). That was the one-minute round of session 9.
    outbox.release_leases();
  }
  std::printf("message size: %zu bytes (signed and encrypted Bundle, built at delivery)\n", payload_bytes);
  std::printf("bytes written per commit (sealed Bundle + sealed pages): %zu\n", commit_bytes);
  std::printf("load average after commits: %s\n", load_average().c_str());
  const auto cpu = stats(commit_cpu_ms);
  const auto sys = stats(commit_sys_ms);
  std::printf("CPU per commit: median %.1f ms (min %.1f, max %.1f), of which system %.1f ms\n", cpu.median, cpu.min,
              cpu.max, sys.median);
  {
    const auto c = stats(commit_rates), k = stats(disk_rates);
    std::printf("durable commits/s (two pages, synchronous=FULL): median %.0f  (min %.0f, max %.0f; %d rounds of %d)\n",
                c.median, c.min, c.max, rounds, commits);
    std::printf("yardstick: raw write+fdatasync of %zu bytes/s, same folder: median %.0f  (min %.0f, max %.0f)\n",
                commit_bytes, k.median, k.min, k.max);
  }
  if (commit_only) return 0;
  // Deliver the committed backlog in rounds of `deliveries`, simulator running.
  Process sim({bin("platform-sim"), "serve", "--config", config_file.string()}, dir.path / "sim.log");
  const auto backlog = outbox.count(ob::Status::Queued);
  // Park all but one round's worth, then release one round at a time.
  outbox.store().db().exec("UPDATE outbox SET status='parked' WHERE status='queued'");
  const int delivery_rounds = std::min<int>(rounds, static_cast<int>(backlog) / deliveries);
  std::vector<double> kiosk_faults, connected_rates;
  std::vector<double> kiosk_cpu_ms, sim_cpu_ms, broker_cpu_ms, raw_broker_cpu_ms, drain_broker_cpu_ms;
  double sim_cpu_before = process_cpu_seconds(sim.pid());
  const pid_t broker_pid = broker.vm_pid();
  for (int round = 0; round < delivery_rounds; ++round) {
    outbox.store().db().exec(
        "UPDATE outbox SET status='queued' WHERE submission_id IN (SELECT submission_id FROM outbox WHERE "
        "status='parked' LIMIT " +
        std::to_string(deliveries) + ")");
    const double broker_cpu_before = broker_pid ? process_cpu_seconds(broker_pid) : 0;
    const auto t0 = Clock::now();
    Process p(
        {bin("kioskctl"), "queue", "deliver", "--config", config_file.string(), "--until-empty", "--timeout", "300"},
        dir.path / "deliver.log");
    int status = 0;
    rusage usage{};
    const pid_t pid = p.pid();
    ::wait4(pid, &status, 0, &usage);
    const double elapsed = seconds_since(t0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::cerr << "delivery failed\n" << read_text(dir.path / "deliver.log");
      return 1;
    }
    delivery_rates.push_back(deliveries / elapsed);
    if (const double worker_s = connected_to_last_receipt(read_text(dir.path / "deliver.log")); worker_s > 0)
      connected_rates.push_back(deliveries / worker_s);
    peak_mib.push_back(usage.ru_maxrss / 1024.0);
    const double sim_cpu = process_cpu_seconds(sim.pid());
    kiosk_cpu_ms.push_back(1000.0 * cpu_seconds(usage) / deliveries);
    kiosk_faults.push_back(static_cast<double>(usage.ru_minflt) / deliveries);
    sim_cpu_ms.push_back(1000.0 * (sim_cpu - sim_cpu_before) / deliveries);
    sim_cpu_before = sim_cpu;
    const double broker_cpu = broker_pid ? process_cpu_seconds(broker_pid) : 0;
    broker_cpu_ms.push_back(1000.0 * (broker_cpu - broker_cpu_before) / deliveries);
    // Yardstick in the same run: raw durable publishes of the same size.
    const proton::binary body(payload_bytes, 'x');
    Publisher raw(broker.url(), "/queue/bench_raw_" + std::to_string(round), static_cast<size_t>(deliveries),
                  [&body](size_t i) {
                    proton::message m;
                    m.id("raw-" + std::to_string(i));
                    m.durable(true);
                    m.body(body);
                    return m;
                  });
    proton::container(raw).run();
    raw_rates.push_back(deliveries / raw.elapsed);
    const double raw_cpu = broker_pid ? process_cpu_seconds(broker_pid) : 0;
    raw_broker_cpu_ms.push_back(1000.0 * (raw_cpu - broker_cpu) / deliveries);
    Consumer drain(broker.url(), "/queue/bench_raw_" + std::to_string(round), static_cast<size_t>(deliveries), 0);
    proton::container(drain).run();
    consume_rates.push_back(deliveries / drain.elapsed);
    drain_broker_cpu_ms.push_back(broker_pid ? 1000.0 * (process_cpu_seconds(broker_pid) - raw_cpu) / deliveries : 0);
  }
  const auto d = stats(delivery_rates), w = stats(raw_rates), m = stats(peak_mib);
  std::printf("load average after deliveries: %s\n", load_average().c_str());
  std::printf(
      "delivered+receipted submissions/s: median %.1f  (min %.1f, max %.1f; %d rounds of %d, includes process start)\n",
      d.median, d.min, d.max, delivery_rounds, deliveries);
  if (!connected_rates.empty()) {
    const auto c = stats(connected_rates);
    std::printf(
        "delivered+receipted submissions/s, from the connection's opening to the last receipt (timed like the raw "
        "publish): median %.1f  (min %.1f, max %.1f)\n",
        c.median, c.min, c.max);
  }
  std::printf("delivery process peak RSS: median %.1f MiB (max %.1f MiB)\n", m.median, m.max);
  const auto kc = stats(kiosk_cpu_ms), sc = stats(sim_cpu_ms);
  std::printf(
      "CPU per delivered submission: kioskctl deliver (builds the message) median %.1f ms (min %.1f, max %.1f)\n",
      kc.median, kc.min, kc.max);
  const auto kf = stats(kiosk_faults);
  std::printf("page faults per delivered submission: kioskctl deliver (process start included) median %.0f\n",
              kf.median);
  std::printf("CPU per delivered submission: platform-sim, all threads, median %.1f ms (min %.1f, max %.1f)\n",
              sc.median, sc.min, sc.max);
  const auto bc = stats(broker_cpu_ms), rc = stats(raw_broker_cpu_ms), dc = stats(drain_broker_cpu_ms);
  std::printf(
      "CPU per delivered submission: RabbitMQ (submission in and out, receipt in and out), median %.1f ms (min %.1f, "
      "max %.1f)\n",
      bc.median, bc.min, bc.max);
  std::printf("CPU per raw publish: RabbitMQ, median %.1f ms (min %.1f, max %.1f)\n", rc.median, rc.min, rc.max);
  std::printf("CPU per raw consume: RabbitMQ, median %.1f ms (min %.1f, max %.1f)\n", dc.median, dc.min, dc.max);
  std::printf("yardstick raw Proton durable publish/s, same size: median %.1f  (min %.1f, max %.1f)\n", w.median, w.min,
              w.max);
  const auto k = stats(consume_rates);
  std::printf("yardstick raw Proton consume (accept)/s of those messages: median %.1f  (min %.1f, max %.1f)\n",
              k.median, k.min, k.max);
  std::printf("delivery / raw publish: %.0f %%\n", 100.0 * d.median / w.median);
  if (!connected_rates.empty())
    std::printf("delivery from the connection's opening / raw publish: %.0f %%\n",
                100.0 * stats(connected_rates).median / w.median);
  return 0;
}

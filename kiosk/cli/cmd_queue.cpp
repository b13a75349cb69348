// kioskctl queue add | list | show | retry | cancel | deliver, and demo-env.

#include <chrono>
#include <csignal>
#include <optional>
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "outbox/crypto.hpp"
#include "outbox/delivery.hpp"
#include "outbox/health.hpp"
#include "outbox/heap.hpp"
#include "outbox/outbox.hpp"
#include "store/delivery_state.hpp"
#include "store/store.hpp"
#include "command_config.hpp"
#include "store_errors.hpp"

namespace kiosk::cli {

namespace {

using nlohmann::json;
namespace ob = kiosk::outbox;

const std::vector<std::string> kCommonFlags = {"--config", "--store", "--broker"};

std::vector<std::string> with_common(std::vector<std::string> flags) {
  flags.insert(flags.end(), kCommonFlags.begin(), kCommonFlags.end());
  return flags;
}

// Runs a command body and turns every known failure into a plain message and exit code.
int guarded(Context& ctx, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    return report_config_error(ctx, e);
  } catch (const store::StoreError& e) {
    return report_store_error(ctx, e);
  } catch (const ob::OutboxError& e) {
    ctx.err << e.what() << "\n";
    switch (e.kind()) {
      case ob::OutboxError::Kind::BadInput:
      case ob::OutboxError::Kind::NotFound:
        return kExitBadInput;
      case ob::OutboxError::Kind::Unavailable:
        return kExitUnavailable;
      default:
        return kExitFailed;
    }
  } catch (const forms::FormError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  } catch (const ob::CryptoError& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  }
}

// list, show, retry and cancel work on what the store holds: a store that is not there is said
// (exit 4), never made empty. add and deliver make it, as the kiosk does when it first starts
// (the delivery service may start before the kiosk).
std::optional<ob::Outbox> open_existing_outbox(Context& ctx, const Args& args) {
  const Config config = load_config(args);
  if (report_missing_store(ctx, config.get_path("store.path"))) return std::nullopt;
  return std::optional<ob::Outbox>(std::in_place, config);
}

bool parse(const Args& args, Context& ctx, const std::string& usage) {
  if (args.ok()) return true;
  ctx.err << args.error() << "\nUsage: kioskctl " << usage << "\n";
  return false;
}

store::Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ob::OutboxError(ob::OutboxError::Kind::BadInput, "Cannot read " + path.string() + ".");
  return store::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json entry_json(const ob::Entry& e) {
  return {{"id", e.id},
          {"messageId", e.message_id},
          {"reference", e.reference},
          {"form", e.form_id},
          {"representation", e.representation_type},
          {"status", ob::to_string(e.status)},
          {"attempts", e.attempts},
          {"created", e.created_at},
          {"updated", e.updated_at},
          {"lastError", e.last_error},
          {"platformReference", e.platform_reference},
          {"reasonCode", e.reason_code},
          {"reasonText", e.reason_text},
          {"personalDataDeleted", e.personal_data_deleted},
          {"withdrawal", e.withdrawal}};
}

const char* kAddUsage =
    "queue add --form ID (--answers FILE | --example SEED) [--page scan.png ...] [--representative NUMBER "
    "--authority TYPE [--represented NUMBER] [--evidence CODE ...] [--nearest-relative]] [--assisted-by STAFF] "
    "[--sheet ID] [--json] [--config FILE] [--store FILE] [--broker URL]";

int queue_add(Context& ctx) {
  Args args(ctx.args,
            with_common({"--form", "--answers", "--example", "--page", "--representative", "--authority",
                         "--represented", "--evidence", "--assisted-by", "--actor", "--sheet"}),
            {"--json", "--nearest-relative"});
  if (!parse(args, ctx, kAddUsage)) return kExitUsage;
  if (!args.has("--form") || args.has("--answers") == args.has("--example") ||
      (args.has("--authority") != args.has("--representative"))) {
    ctx.err << "Usage: kioskctl " << kAddUsage << "\n";
    return kExitUsage;
  }
  return guarded(ctx, [&] {
    const kiosk::Config config = load_config(args);
    const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
    const forms::Questionnaire* form = catalogue.find(*args.value("--form"));
    if (!form) {
      ctx.err << "There is no form with id \"" << *args.value("--form") << "\". Run kioskctl forms list to see them.\n";
      return static_cast<int>(kExitBadInput);
    }
    ob::NewSubmission submission;
    submission.form_id = form->id;
    if (auto seed = args.value("--example")) {
      submission.answers = forms::make_example_answers(*form, static_cast<unsigned>(std::stoul(*seed)));
    } else {
      const auto file = *args.value("--answers");
      const auto bytes = read_file(file);
      json parsed = json::parse(bytes.begin(), bytes.end(), nullptr, false);
      if (parsed.is_discarded()) {
        ctx.err << file << " is not valid JSON.\n";
        return static_cast<int>(kExitBadInput);
      }
      submission.answers = forms::parse_answers(parsed, *form, file);
    }
    for (const auto& page : args.values("--page")) submission.pages.push_back(read_file(page));
    if (auto type = args.value("--authority")) {
      ob::RepresentationInfo info;
      info.type_code = *type;
      info.representative = *args.value("--representative");
      info.represented = args.value("--represented").value_or("");
      info.evidence = args.values("--evidence");
      submission.representation = info;
    }
    submission.nearest_relative = args.has("--nearest-relative");
    submission.assisted_by = args.value("--assisted-by").value_or("");
    submission.sheet_id = args.value("--sheet").value_or("");
    ob::Outbox outbox(config);
    const auto committed = outbox.commit_submission(submission, args.value("--actor").value_or("kioskctl"));
    if (args.has("--json"))
      ctx.out << json{{"id", committed.id}, {"reference", committed.reference}, {"sentBefore", committed.sent_before}}
                     .dump()
              << "\n";
    else
      ctx.out << committed.reference << "  " << committed.id
              << (committed.sent_before ? "  (this sheet was committed before: not sent again)" : "") << "\n";
    return static_cast<int>(kExitOk);
  });
}

int queue_list(Context& ctx) {
  Args args(ctx.args, kCommonFlags, {"--json"});
  if (!parse(args, ctx, "queue list [--json] [--config FILE] [--store FILE]")) return kExitUsage;
  return guarded(ctx, [&] {
    auto outbox = open_existing_outbox(ctx, args);
    if (!outbox) return static_cast<int>(kExitUnavailable);
    const auto entries = outbox->list();
    if (args.has("--json")) {
      json out = json::array();
      for (const auto& e : entries) out.push_back(entry_json(e));
      ctx.out << out.dump(2) << "\n";
    } else {
      if (entries.empty()) ctx.out << "The queue is empty.\n";
      for (const auto& e : entries)
        ctx.out << e.reference << "  " << ob::to_string(e.status) << "  " << e.form_id << "  attempts " << e.attempts
                << "  " << e.created_at << (e.withdrawal.empty() ? "" : "  withdrawal " + e.withdrawal)
                << (e.last_error.empty() ? "" : "  (" + e.last_error + ")") << "\n";
    }
    return static_cast<int>(kExitOk);
  });
}

// What needs a person about sending, in one place: counts, receipts kept on the broker because
// they could not be checked here, and whether a certificate stops sending (and when each expires).
int queue_status(Context& ctx) {
  Args args(ctx.args, kCommonFlags, {"--json"});
  if (!parse(args, ctx, "queue status [--json] [--config FILE] [--store FILE]")) return kExitUsage;
  return guarded(ctx, [&] {
    auto outbox = open_existing_outbox(ctx, args);
    if (!outbox) return static_cast<int>(kExitUnavailable);
    const std::int64_t now = store::now_ms();
    const auto certificates = outbox->sending_certificates();
    const std::string blocked = ob::Outbox::sending_blocked_reason(certificates, now);
    const std::int64_t held = store::read_delivery_value(outbox->store().db(), ob::kHeldReceiptsKey, 0);
    json counts = json::object();
    for (auto s : {ob::Status::Queued, ob::Status::Sent, ob::Status::Accepted, ob::Status::Rejected, ob::Status::Parked,
                   ob::Status::Cancelled})
      counts[ob::to_string(s)] = outbox->count(s);
    json certs = json::array();
    for (const auto& c : certificates) {
      json item = {{"key", c.key}, {"label", c.label}};
      if (c.error.empty())
        item["notAfter"] = ob::iso_utc(c.not_after_ms);
      else
        item["error"] = c.error;
      certs.push_back(item);
    }
    const json out = {{"counts", counts},
                      {"heldReceipts", held},
                      {"sendingBlocked", blocked.empty() ? json(nullptr) : json(blocked)},
                      {"certificates", certs}};
    if (args.has("--json")) {
      ctx.out << out.dump(2) << "\n";
      return static_cast<int>(kExitOk);
    }
    for (const auto& [status, n] : counts.items()) ctx.out << status << ": " << n.get<std::int64_t>() << "\n";
    if (held > 0)
      ctx.out << held
              << " receipt(s) from the platform could not be checked here (see the audit log, action "
                 "receipt-held) and are kept on the broker; they are applied once the certificates, keys or "
                 "revocation list are fixed.\n";
    if (!blocked.empty()) ctx.out << blocked << "\n";
    for (const auto& c : certificates)
      ctx.out << c.label << ": " << (c.error.empty() ? "valid until " + ob::iso_utc(c.not_after_ms) : c.error) << "\n";
    return static_cast<int>(kExitOk);
  });
}

constexpr const char* kShowUsage = "queue show REF [--json] [--bundle [--actor NAME]]";

int queue_show(Context& ctx) {
  Args args(ctx.args, with_common({"--actor"}), {"--json", "--bundle"});
  if (!parse(args, ctx, kShowUsage)) return kExitUsage;
  if (args.positional().size() != 1) {
    ctx.err << "Usage: kioskctl " << kShowUsage << "\n";
    return kExitUsage;
  }
  return guarded(ctx, [&] {
    auto outbox = open_existing_outbox(ctx, args);
    if (!outbox) return static_cast<int>(kExitUnavailable);
    const auto entry = outbox->status(args.positional()[0]);
    if (!entry) {
      ctx.err << "There is no submission with reference " << args.positional()[0] << ".\n";
      return static_cast<int>(kExitBadInput);
    }
    if (args.has("--bundle")) {
      // The admin reads what is sent (personal data): printed, never written to a file here.
      const std::string text = outbox->bundle_text(entry->id, args.value("--actor").value_or("kioskctl"));
      ctx.out << json::parse(text).dump(2) << "\n";
      return static_cast<int>(kExitOk);
    }
    const json j = entry_json(*entry);
    if (args.has("--json")) {
      ctx.out << j.dump(2) << "\n";
    } else {
      for (const auto& [key, value] : j.items())
        ctx.out << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
    }
    return static_cast<int>(kExitOk);
  });
}

int staff_action(Context& ctx, bool retry) {
  const std::string usage = retry ? "queue retry REF [--actor NAME]" : "queue cancel REF [--actor NAME]";
  Args args(ctx.args, with_common({"--actor"}), {});
  if (!parse(args, ctx, usage)) return kExitUsage;
  if (args.positional().size() != 1) {
    ctx.err << "Usage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  return guarded(ctx, [&] {
    auto outbox = open_existing_outbox(ctx, args);
    if (!outbox) return static_cast<int>(kExitUnavailable);
    const std::string actor = args.value("--actor").value_or("kioskctl");
    if (retry)
      outbox->retry(args.positional()[0], actor);
    else
      outbox->cancel(args.positional()[0], actor);
    ctx.out << args.positional()[0]
            << (retry ? " will be sent again.\n" : " is cancelled and its personal data deleted.\n");
    return static_cast<int>(kExitOk);
  });
}

int queue_retry(Context& ctx) {
  return staff_action(ctx, true);
}
int queue_cancel(Context& ctx) {
  return staff_action(ctx, false);
}

constexpr const char* kWithdrawUsage = "queue withdraw REF [--actor NAME] [--reason TEXT]";

// Staff ask the platform to withdraw a submission it already has: queued for the delivery worker,
// answered by the platform's receipt (queue show: withdrawal withdrawn / refused).
int queue_withdraw(Context& ctx) {
  Args args(ctx.args, with_common({"--actor", "--reason"}), {});
  if (!parse(args, ctx, kWithdrawUsage)) return kExitUsage;
  if (args.positional().size() != 1) {
    ctx.err << "Usage: kioskctl " << kWithdrawUsage << "\n";
    return kExitUsage;
  }
  return guarded(ctx, [&] {
    auto outbox = open_existing_outbox(ctx, args);
    if (!outbox) return static_cast<int>(kExitUnavailable);
    const std::string request = outbox->request_withdrawal(
        args.positional()[0], args.value("--actor").value_or("kioskctl"), args.value("--reason").value_or(""));
    ctx.out << "The platform will be asked to withdraw " << args.positional()[0] << " (request " << request
            << "); kioskctl queue show " << args.positional()[0] << " tells its answer.\n";
    return static_cast<int>(kExitOk);
  });
}

int queue_deliver(Context& ctx) {
  Args args(ctx.args, with_common({"--timeout"}), {"--until-empty", "--quiet"});
  if (!parse(args, ctx, "queue deliver [--until-empty] [--timeout S] [--quiet]")) return kExitUsage;
  return guarded(ctx, [&] {
    const kiosk::Config config = load_config(args);
    ob::DeliveryOptions options;
    options.until_empty = args.has("--until-empty");
    if (auto t = args.value("--timeout"))
      options.timeout = std::chrono::milliseconds(static_cast<long long>(std::stod(*t) * 1000));
    std::ostream& err = ctx.err;
    const auto started = std::chrono::steady_clock::now();
    if (!args.has("--quiet"))
      options.log = [&err, started](const std::string& line) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        err << "deliver: [" << ms / 1000 << "." << (ms % 1000) / 100 << (ms % 100) / 10 << ms % 10 << " s] " << line
            << "\n";
      };
    // Each message is ~0.5 MB and passes through several buffers (see outbox/heap.hpp).
    ob::use_message_heap_policy();
    ob::DeliveryWorker worker(config, options);
    const auto report = worker.run();
    ctx.out << "sent " << report.sent << ", accepted " << report.accepted << ", rejected " << report.rejected
            << ", failed attempts " << report.failures << ", ignored receipts " << report.receipts_ignored
            << ", held receipts " << report.receipts_held << "\n";
    if (options.until_empty && !report.empty) {
      ctx.err << "Stopped before the queue was empty" << (report.last_error.empty() ? "" : ": " + report.last_error)
              << "\n";
      return static_cast<int>(report.connections == 0 ? kExitUnavailable : kExitFailed);
    }
    return static_cast<int>(kExitOk);
  });
}

int demo_env(Context& ctx) {
  Args args(ctx.args, {"--out", "--broker"}, {});
  if (!parse(args, ctx, "demo-env --out DIR [--broker URL]") || !args.has("--out")) {
    ctx.err << "Usage: kioskctl demo-env --out DIR [--broker URL]\n";
    return kExitUsage;
  }
  return guarded(ctx, [&] {
    const std::filesystem::path dir = std::filesystem::absolute(*args.value("--out"));
    std::filesystem::create_directories(dir / "certs");
    const auto ca = ob::make_ca("Helsenorge kiosk TEST CA");
    struct Item {
      const char* name;
      const char* cn;
      const char* usage;
    };
    const Item items[] = {
        {"kiosk-signing", "kiosk-0001 signing (TEST)", "critical,nonRepudiation,digitalSignature"},
        {"kiosk-decryption", "kiosk-0001 encryption (TEST)", "critical,dataEncipherment,keyEncipherment"},
        {"kiosk-legacy-decryption", "kiosk-0001 previous encryption (TEST)",
         "critical,dataEncipherment,keyEncipherment"},
        {"platform-encryption", "platform encryption (TEST)", "critical,dataEncipherment,keyEncipherment"},
        {"platform-signing", "platform signing (TEST)", "critical,nonRepudiation,digitalSignature"},
    };
    ob::write_pem(ca, dir / "certs/ca.pem", dir / "certs/ca.key");
    for (const auto& item : items) {
      const auto pair = ob::make_certificate(ca, {item.cn, item.usage});
      ob::write_pem(pair, dir / "certs" / (std::string(item.name) + ".pem"),
                    dir / "certs" / (std::string(item.name) + ".key"));
    }
    std::error_code ec;
    std::filesystem::remove(dir / "kiosk.db", ec);
    std::filesystem::remove(dir / "store.key", ec);
    const std::string broker = args.value("--broker").value_or("amqp://guest:guest@127.0.0.1:5672");
    std::ofstream toml(dir / "kiosk.toml");
    toml
        << "# Demo and test configuration written by kioskctl demo-env. TEST certificates only.\n"
           "# Relative paths are resolved against this file's folder.\n"
           "[site]\nname = \"Demo-kiosk\"\nkiosk_id = \"kiosk-0001\"\n\n"
           "[store]\npath = \"kiosk.db\"\nkey_file = \"store.key\"\nretention_days = 0\n\n"
           "[broker]\nurl = \""
        << broker
        << "\"\nplatform_queue = \"platform_async\"\nreply_queue = \"kiosk-0001_async\"\n"
           "kiosk_her_id = \"8142519\"\nplatform_her_id = \"8093240\"\ncpa_id = \"demo-cpa\"\n\n"
           "[security]\nca_certificate = \"certs/ca.pem\"\n"
           "signing_certificate = \"certs/kiosk-signing.pem\"\nsigning_key = \"certs/kiosk-signing.key\"\n"
           "platform_encryption_certificate = \"certs/platform-encryption.pem\"\n"
           "decryption_certificate = \"certs/kiosk-decryption.pem\"\ndecryption_key = \"certs/kiosk-decryption.key\"\n"
           "legacy_decryption_certificate = \"certs/kiosk-legacy-decryption.pem\"\n"
           "legacy_decryption_key = \"certs/kiosk-legacy-decryption.key\"\n"
           "platform_signing_certificate = \"certs/platform-signing.pem\"\n\n"
           "[delivery]\nmax_attempts = 10\nbackoff_initial_ms = 200\nbackoff_max_ms = 5000\nreceipt_timeout_s = 120\n\n"
           "[simulator]\nstore = \"platform-sim.db\"\ndecryption_key = \"certs/platform-encryption.key\"\n"
           "signing_key = \"certs/platform-signing.key\"\n";
    toml.close();
    if (!toml)
      throw store::StoreError(store::StoreError::Kind::DiskFull, "Cannot write " + (dir / "kiosk.toml").string());
    // Creates the store and its key (0600) now, so the folder is complete.
    store::Store::open(dir / "kiosk.db", dir / "store.key");
    ctx.out << (dir / "kiosk.toml").string() << "\n";
    return static_cast<int>(kExitOk);
  });
}

const CommandRegistration registration{
    Command{"queue add", kAddUsage, "Commit a submission to the outbox as the kiosk would (admins and tests)",
            queue_add},
    Command{"queue list", "queue list [--json] [--config FILE] [--store FILE]",
            "List the outbox: status of every submission", queue_list},
    Command{"queue status", "queue status [--json] [--config FILE] [--store FILE]",
            "Sending at a glance: counts, receipts kept on the broker, certificates and whether they stop sending",
            queue_status},
    Command{"queue show", kShowUsage,
            "Show one submission's delivery status, or with --bundle the FHIR Bundle it sends (audited)", queue_show},
    Command{"queue retry", "queue retry REF [--actor NAME]", "Send a parked or rejected submission again (audited)",
            queue_retry},
    Command{"queue cancel", "queue cancel REF [--actor NAME]",
            "Give up a parked or rejected submission and delete its data (audited)", queue_cancel},
    Command{"queue withdraw", kWithdrawUsage,
            "Ask the platform to withdraw a submission that was sent (audited; the answer comes as a receipt)",
            queue_withdraw},
    Command{"queue deliver", "queue deliver [--until-empty] [--timeout S] [--config FILE] [--broker URL]",
            "Run the delivery worker: send to the broker and apply receipts", queue_deliver},
    Command{"demo-env", "demo-env --out DIR [--broker URL]",
            "Write a self-contained demo/test configuration with fresh TEST certificates and print its path", demo_env},
};

}  // namespace

}  // namespace kiosk::cli

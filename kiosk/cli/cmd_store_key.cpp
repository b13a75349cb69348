// kioskctl keys seal-store-key: the store key as an encrypted systemd credential (issue 15).
#include <unistd.h>

#include <stdexcept>

#include "admin/config_file.hpp"
#include "command.hpp"
#include "config.hpp"
#include "store_key.hpp"

namespace kiosk::cli {

namespace {

int seal_store_key(Context& ctx) {
  const char* usage = "keys seal-store-key [--config FILE] [--keep-plain]";
  Args args(ctx.args, {"--config"}, {"--keep-plain"});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument " + args.positional().front() : args.error()) << "\nUsage: kioskctl "
            << usage << "\n";
    return kExitUsage;
  }
  if (::geteuid() != 0) {
    ctx.err << "Run this as root: systemd-creds seals the key with this machine's TPM2 or host key.\n";
    return kExitFailed;
  }
  const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
  const admin::ConfigFile read = admin::load_config_file(file);
  if (read.exists && !read.valid()) {
    ctx.err << read.error << "\n";
    return kExitBadInput;
  }
  const Config config = read.config.value_or(Config());
  try {
    const auto report = kiosk::seal_store_key(config, args.has("--keep-plain"));
    ctx.out << report.message << "\n";
    if (report.sealed)
      ctx.out << "Both units load it with LoadCredentialEncrypted=store.key:" << report.credential.string()
              << ". Back the key up offline as ADMIN.md says (it opens only on this machine).\n";
    return kExitOk;
  } catch (const std::exception& e) {
    ctx.err << "The store key was not sealed: " << e.what() << "\n";
    return kExitUnavailable;
  }
}

const CommandRegistration registration{
    Command{"keys seal-store-key", "keys seal-store-key [--config FILE] [--keep-plain]",
            "seal the store key as an encrypted systemd credential (TPM2 or host key) and remove the plain key "
            "file once the credential is verified (root)",
            seal_store_key},
};

}  // namespace

}  // namespace kiosk::cli

#pragma once
#include <filesystem>

#include "command.hpp"
#include "config.hpp"
#include "store_key.hpp"

namespace kiosk::cli {

// --config FILE (else the installed file when there is one), then --store and --broker on top
// for the commands that accept them; --store names another store file, its key beside it
// unless store.key_file is set. The installed store's key comes from its systemd credential
// (store_key.hpp: $CREDENTIALS_DIRECTORY in the units, decrypted in memory for root over ssh).
inline Config load_config(const Args& args) {
  const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
  Config config = (args.has("--config") || std::filesystem::exists(file)) ? Config::load(file) : Config();
  if (auto store = args.value("--store")) {
    const auto path = std::filesystem::absolute(*store);
    config.set("store.path", path.string());
    if (!config.is_set("store.key_file")) config.set("store.key_file", path.string() + ".key");
  } else {
    use_store_key(config);
  }
  if (auto broker = args.value("--broker")) config.set("broker.url", *broker);
  return config;
}

// A configuration that cannot be read or has a wrong value: the same message and exit code
// from every command that loads it through load_config.
inline int report_config_error(Context& ctx, const ConfigError& e) {
  ctx.err << "Configuration problem: " << e.what() << "\n";
  return kExitBadInput;
}

}  // namespace kiosk::cli

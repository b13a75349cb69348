#include "config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace kiosk {

namespace {
using T = Config::Type;
using V = Config::Value;
using S = std::string;
using L = std::vector<std::string>;

std::string type_name(T type) {
  switch (type) {
    case T::Bool:
      return "true or false";
    case T::Integer:
      return "a whole number";
    case T::String:
      return "a text in quotes";
    case T::Path:
      return "a file path in quotes";
    case T::StringList:
      return "a list of texts, like [\"nb\", \"nn\"]";
  }
  return "a value";
}
}  // namespace

const std::vector<Config::KeySpec>& Config::schema() {
  static const std::vector<KeySpec> keys = {
      {"site.name", T::String, S("Helsenorge-kiosk"), "Name of the place, shown to staff and in the delivery metadata"},
      {"site.kiosk_id", T::String, S("kiosk-0001"), "Unique id of this kiosk"},
      {"site.help_phone", T::String, S("23 32 70 00"), "Phone number of the guidance service (Veiledning Helsenorge)"},
      {"site.postal_address", T::String, S("Helsenorge, Postboks 6576 Etterstad, 0607 Oslo"),
       "Postal fallback address printed on every form"},
      {"ui.languages", T::StringList, L{"nb", "nn", "se", "en"}, "Languages offered, in order"},
      {"ui.default_language", T::String, S("nb"), "Language of the start screen"},
      {"ui.theme", T::String, S("standard"), "standard or high-contrast"},
      {"ui.large_text", T::Bool, false, "Start with bigger text"},
      {"ui.fullscreen", T::Bool, true, "Run full-screen (off for a window on a desktop)"},
      {"ui.inactivity_warning_seconds", T::Integer, std::int64_t{90}, "Seconds without a touch before the warning"},
      {"ui.inactivity_countdown_seconds", T::Integer, std::int64_t{30},
       "Seconds of countdown before the session is wiped"},
      {"ui.rest_after_seconds", T::Integer, std::int64_t{300},
       "Seconds on the start screen without a touch before the screen rests (goes black); 0: never, else 10 to 86400"},
      {"ui.print_to_folder", T::Path, S(""),
       "When set, printed forms and receipts are written here as PDF instead of going to CUPS (demos)"},
      {"printer.queue", T::String, S(""), "CUPS queue name; empty: the CUPS default printer"},
      {"printer.large_print", T::Bool, false, "Print forms in large print by default"},
      {"scanner.device", T::String, S(""), "SANE device name; empty: the first scanner found"},
      {"scanner.resolution_dpi", T::Integer, std::int64_t{300}, "Scan resolution"},
      {"scanner.options", T::StringList, L{}, "SANE options set before each scan, as name=value (e.g. mode=Gray)"},
      {"scanner.recognizer_idle_seconds", T::Integer, std::int64_t{20},
       "Seconds the recogniser (Tesseract, digit model) stays loaded after a scan; 0: unload at once"},
      {"scanner.page_dir", T::Path, S(""),
       "Folder for scanned pages while a person is at the kiosk; must be tmpfs. Empty: the unit's RuntimeDirectory "
       "($RUNTIME_DIRECTORY), else /dev/shm"},
      {"scanner.pages_on_disk", T::Bool, false,
       "Development only: scan even when scanner.page_dir is not on tmpfs (pages then reach the disk; the doctor "
       "warns)"},
      {"scanner.recognize_in_helper", T::Bool, true,
       "Recognise each scan in a short-lived kiosk-recognize process (keeps the kiosk's memory low, isolates crashes)"},
      {"print.mac_key_file", T::Path, S("/var/lib/helsenorge-kiosk/qr-mac.key"),
       "Key for the MAC in the printed QR codes; earlier and operator keys are in the folder qr-keys beside it"},
      {"print.qr_previous_keys", T::Integer, std::int64_t{3},
       "Earlier QR keys kept after kioskctl keys rotate-qr, so sheets printed before still verify"},
      {"print.font_dir", T::Path, S("/usr/share/fonts/truetype/dejavu"),
       "Folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf (fonts-dejavu-core)"},
      {"store.path", T::Path, S("/var/lib/helsenorge-kiosk/kiosk.db"), "SQLite store (queue, receipts, audit log)"},
      {"store.key_file", T::Path, S("/var/lib/helsenorge-kiosk/store.key"),
       "Per-kiosk key that encrypts personal data at rest, as a plain file (development and tests; on an installed "
       "kiosk it is sealed into store.credential)"},
      {"store.credential", T::Path, S("/etc/helsenorge-kiosk/credentials/store.key.cred"),
       "The store key sealed with systemd-creds (TPM2 or host key); the units load it with LoadCredentialEncrypted="},
      {"store.retention_days", T::Integer, std::int64_t{0},
       "Days to keep delivered personal data; 0: delete on acceptance"},
      {"store.undelivered_retention_days", T::Integer, std::int64_t{90},
       "Days to keep the personal data of rejected and parked submissions and of sheets held for staff review; then "
       "the delivery worker deletes it (the doctor warns a week before)"},
      {"broker.url", T::String, S("amqps://broker.invalid:5671"), "AMQP 1.0 broker of the operator"},
      {"broker.platform_queue", T::String, S("platform_async"), "Queue the platform (relay) reads submissions from"},
      {"broker.reply_queue", T::String, S("kiosk-0001_async"), "This kiosk's own reply queue for receipts"},
      {"broker.health_queue", T::String, S("kiosk_health"), "Queue for the kiosk's health reports"},
      {"broker.kiosk_her_id", T::String, S("0"), "HER-id of this kiosk (sender)"},
      {"broker.platform_her_id", T::String, S("0"), "HER-id of the platform (receiver)"},
      {"broker.tls_ca_certificate", T::Path, S(""), "CA certificate for amqps://; empty: system trust store"},
      {"broker.tls_client_certificate", T::Path, S(""), "Client certificate for amqps://"},
      {"broker.tls_client_key", T::Path, S(""), "Client key for amqps://"},
      {"broker.address_prefix", T::String, S("/queue/"),
       "Prefix for queue names in AMQP addresses (\"/queue/\" for RabbitMQ, \"\" for others)"},
      {"broker.cpa_id", T::String, S(""), "cpaId application property (collaboration agreement id)"},
      {"security.signing_certificate", T::Path, S(""), "Kiosk certificate for signing (key usage NonRepudiation)"},
      {"security.signing_key", T::Path, S(""), "Private key of the signing certificate"},
      {"security.platform_encryption_certificate", T::Path, S(""),
       "Platform certificate messages are encrypted to (key usage DataEncipherment)"},
      {"security.decryption_certificate", T::Path, S(""), "Kiosk certificate receipts are encrypted to"},
      {"security.decryption_key", T::Path, S(""), "Private key for receipts"},
      {"security.legacy_decryption_key", T::Path, S(""),
       "Previous decryption key, accepted during certificate rollover"},
      {"security.legacy_decryption_certificate", T::Path, S(""), "Previous decryption certificate"},
      {"security.platform_signing_certificate", T::Path, S(""), "Platform certificate receipts are signed with"},
      {"security.crl_file", T::Path, S(""), "CA's certificate revocation list (PEM); empty: no revocation check"},
      {"security.ca_certificate", T::Path, S(""),
       "CA that issues the kiosk's and the platform's certificates (trust anchor)"},
      {"delivery.max_attempts", T::Integer, std::int64_t{10}, "Failed attempts before a message is parked for staff"},
      {"delivery.backoff_initial_ms", T::Integer, std::int64_t{1000}, "First retry delay"},
      {"delivery.backoff_max_ms", T::Integer, std::int64_t{300000}, "Longest retry delay"},
      {"delivery.receipt_timeout_s", T::Integer, std::int64_t{900},
       "Seconds to wait for the platform's receipt before sending the message again"},
      {"delivery.max_message_bytes", T::Integer, std::int64_t{20971520}, "Largest message the kiosk commits (bytes)"},
      {"delivery.health_report_minutes", T::Integer, std::int64_t{5},
       "Minutes between the delivery worker's health reports to broker.health_queue (also sent at once after a "
       "staff PIN lock-out)"},
      {"simulator.store", T::Path, S(""), "Platform simulator: its store of accepted submissions"},
      {"simulator.decryption_key", T::Path, S(""),
       "Platform simulator: key of security.platform_encryption_certificate"},
      {"simulator.signing_key", T::Path, S(""), "Platform simulator: key of security.platform_signing_certificate"},
      {"staff.pin_hash", T::String, S(""),
       "Argon2id hash of the shared staff PIN (kioskctl setup --pin-stdin); unused once staff members exist"},
      {"staff.lockout_failures", T::Integer, std::int64_t{5}, "Wrong PINs before staff mode locks"},
      {"staff.lockout_seconds", T::Integer, std::int64_t{300}, "How long staff mode stays locked"},
      {"staff.kiosk_lockout_failures", T::Integer, std::int64_t{10},
       "Wrong member PINs (any staff numbers) within staff.lockout_seconds before staff sign-in locks for everyone"},
  };
  return keys;
}

const std::map<std::string, Config::Range>& Config::ranges() {
  // Every whole-number key has one. The bounds keep the kiosk safe and working: a lock-out short
  // enough to guess PINs through, a timer of 0 that wipes a session at once, a size of 0 that
  // refuses every message, or a number of seconds that overflows when counted in milliseconds.
  static const std::map<std::string, Range> r = {
      {"ui.inactivity_warning_seconds", {10, 3600, "seconds"}},
      {"ui.inactivity_countdown_seconds", {5, 600, "seconds"}},
      {"ui.rest_after_seconds", {0, 86400, "seconds (0: never)"}},
      {"scanner.resolution_dpi", {75, 1200, "dots per inch"}},
      {"scanner.recognizer_idle_seconds", {0, 3600, "seconds"}},
      {"store.retention_days", {0, 3650, "days"}},
      {"store.undelivered_retention_days", {7, 3650, "days"}},
      {"print.qr_previous_keys", {1, 20, "keys"}},
      {"delivery.max_attempts", {1, 1000, "attempts"}},
      {"delivery.backoff_initial_ms", {1, 3600000, "milliseconds"}},
      {"delivery.backoff_max_ms", {1, 86400000, "milliseconds"}},
      {"delivery.receipt_timeout_s", {1, 604800, "seconds"}},
      {"delivery.max_message_bytes", {1024, 1073741824, "bytes"}},
      {"delivery.health_report_minutes", {1, 1440, "minutes"}},
      {"staff.lockout_failures", {1, 20, "wrong PINs"}},
      {"staff.lockout_seconds", {kMinStaffLockoutSeconds, 86400, "seconds"}},
      {"staff.kiosk_lockout_failures", {1, 1000, "wrong PINs"}},
  };
  return r;
}

std::string Config::Range::text() const {
  return std::to_string(min) + " to " + std::to_string(max) + " " + unit;
}

std::optional<Config::Range> Config::range(const std::string& key) {
  const auto& r = ranges();
  if (auto it = r.find(key); it != r.end()) return it->second;
  return std::nullopt;
}

namespace {
void check_range(const std::string& where, const std::string& key, std::int64_t value) {
  const auto r = Config::range(key);
  if (!r) throw std::logic_error("configuration key " + key + " has no range in Config::ranges()");
  if (value < r->min || value > r->max)
    throw ConfigError(where + "\"" + key + "\" must be " + r->text() + ", not " + std::to_string(value) + ".");
}
}  // namespace

Config::Config() {
  for (const auto& spec : schema()) values_[spec.key] = spec.default_value;
}

std::filesystem::path Config::default_path() {
  if (const char* env = std::getenv("KIOSK_CONFIG"); env && *env) return env;
  return "/etc/helsenorge-kiosk/kiosk.toml";
}

Config Config::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError("Cannot read the configuration file " + file.string() +
                      ". Check that it exists and that the kiosk user may read it.");
  std::stringstream buffer;
  buffer << in.rdbuf();
  // Against the file's folder as an absolute path: a relative --config must not make the paths
  // in it depend on the folder the program was started in.
  std::error_code ec;
  const auto folder = std::filesystem::absolute(file, ec).parent_path();
  return parse(buffer.str(), ec ? file.parent_path() : folder, file.string());
}

Config Config::parse(const std::string& text, const std::filesystem::path& base_dir, const std::string& source) {
  Config config;
  config.source_ = source;
  std::error_code ec;
  config.base_dir_ = base_dir.empty() ? base_dir : std::filesystem::absolute(base_dir, ec);
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(source + " line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  std::map<std::string, const KeySpec*> specs;
  for (const auto& spec : schema()) specs[spec.key] = &spec;

  for (auto&& [section_key, section_node] : table) {
    const std::string section(section_key.str());
    const auto* section_table = section_node.as_table();
    const int section_line = static_cast<int>(section_node.source().begin.line);
    if (!section_table) {
      config.warnings_.push_back(source + " line " + std::to_string(section_line) + ": \"" + section +
                                 "\" is not a known section (ignored)");
      continue;
    }
    for (auto&& [name_key, node] : *section_table) {
      const std::string key = section + "." + std::string(name_key.str());
      const std::string where = source + " line " + std::to_string(node.source().begin.line);
      auto spec = specs.find(key);
      if (spec == specs.end()) {
        config.warnings_.push_back(where + ": unknown key \"" + key + "\" (ignored)");
        continue;
      }
      const T type = spec->second->type;
      V value;
      if (type == T::Bool && node.is_boolean()) {
        value = node.as_boolean()->get();
      } else if (type == T::Integer && node.is_integer()) {
        value = node.as_integer()->get();
        check_range(where + ": ", key, std::get<std::int64_t>(value));
      } else if ((type == T::String || type == T::Path) && node.is_string()) {
        std::string s = node.as_string()->get();
        if (type == T::Path && !s.empty() && std::filesystem::path(s).is_relative())
          s = (config.base_dir_ / s).lexically_normal().string();
        value = s;
      } else if (type == T::StringList && node.is_array()) {
        std::vector<std::string> list;
        for (auto&& element : *node.as_array()) {
          if (!element.is_string()) throw ConfigError(where + ": \"" + key + "\" must be " + type_name(type));
          list.push_back(element.as_string()->get());
        }
        value = list;
      } else {
        throw ConfigError(where + ": \"" + key + "\" must be " + type_name(type));
      }
      config.values_[key] = value;
      config.explicitly_set_[key] = true;
    }
  }
  if (config.get_int("delivery.backoff_max_ms") < config.get_int("delivery.backoff_initial_ms"))
    throw ConfigError(source + ": \"delivery.backoff_max_ms\" (" +
                      std::to_string(config.get_int("delivery.backoff_max_ms")) +
                      ") must not be less than \"delivery.backoff_initial_ms\" (" +
                      std::to_string(config.get_int("delivery.backoff_initial_ms")) + ").");
  const std::string theme = config.get_string("ui.theme");
  if (theme != "standard" && theme != "high-contrast")
    throw ConfigError(source + ": \"ui.theme\" must be \"standard\" or \"high-contrast\", not \"" + theme + "\"");
  // Besides its range: a rest after 1-9 s would blank the screen under a person still reading it.
  const auto rest = config.get_int("ui.rest_after_seconds");
  if (rest != 0 && rest < 10)
    throw ConfigError(source + ": \"ui.rest_after_seconds\" must be 0 (never rest) or from 10 to 86400 seconds, not " +
                      std::to_string(rest));
  return config;
}

const Config::Value& Config::value(const std::string& key, T expected) const {
  for (const auto& spec : schema()) {
    if (spec.key != key) continue;
    const bool compatible = spec.type == expected || (expected == T::String && spec.type == T::Path);
    if (!compatible) throw std::logic_error("configuration key " + key + " read with the wrong type");
    return values_.at(key);
  }
  throw std::logic_error("configuration key " + key + " is not declared in Config::schema()");
}

bool Config::get_bool(const std::string& key) const {
  return std::get<bool>(value(key, T::Bool));
}
std::int64_t Config::get_int(const std::string& key) const {
  return std::get<std::int64_t>(value(key, T::Integer));
}
const std::string& Config::get_string(const std::string& key) const {
  return std::get<std::string>(value(key, T::String));
}
std::filesystem::path Config::get_path(const std::string& key) const {
  return std::get<std::string>(value(key, T::Path));
}
const std::vector<std::string>& Config::get_list(const std::string& key) const {
  return std::get<std::vector<std::string>>(value(key, T::StringList));
}
bool Config::is_set(const std::string& key) const {
  return explicitly_set_.count(key) != 0;
}

void Config::set(const std::string& key, Value v) {
  for (const auto& spec : schema()) {
    if (spec.key != key) continue;
    if (v.index() != spec.default_value.index()) throw ConfigError("\"" + key + "\" must be " + type_name(spec.type));
    if (spec.type == T::Integer) check_range("", key, std::get<std::int64_t>(v));
    // A relative path means the same here as in the file: against the file's folder.
    // (Without a file yet: against the folder the admin is in, never left relative.)
    if (spec.type == T::Path) {
      auto& text = std::get<std::string>(v);
      if (!text.empty() && std::filesystem::path(text).is_relative())
        text = ((base_dir_.empty() ? std::filesystem::current_path() : base_dir_) / text).lexically_normal().string();
    }
    values_[key] = std::move(v);
    explicitly_set_[key] = true;
    return;
  }
  throw ConfigError("unknown configuration key \"" + key + "\"");
}

std::string Config::example_toml() {
  std::ostringstream out;
  out << "# Helsenorge ekstra enkel kiosk: configuration. Every key is optional; the value shown is the default.\n";
  // Keys are grouped by section in the order sections first appear, wherever in the
  // schema a key was added: TOML does not allow a section header twice.
  std::vector<std::string> sections;
  for (const auto& spec : schema()) {
    const std::string sec = spec.key.substr(0, spec.key.find('.'));
    if (std::find(sections.begin(), sections.end(), sec) == sections.end()) sections.push_back(sec);
  }
  for (const auto& section : sections) {
    out << "\n[" << section << "]\n";
    for (const auto& spec : schema()) {
      const auto dot = spec.key.find('.');
      if (spec.key.substr(0, dot) != section) continue;
      out << "# " << spec.help;
      if (const auto r = range(spec.key)) out << " (" << r->text() << ")";
      out << "\n" << spec.key.substr(dot + 1) << " = ";
      std::visit(
          [&](const auto& v) {
            using X = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<X, bool>)
              out << (v ? "true" : "false");
            else if constexpr (std::is_same_v<X, std::int64_t>)
              out << v;
            else if constexpr (std::is_same_v<X, std::string>)
              out << toml::value<std::string>(v);
            else {
              out << "[";
              for (size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << '"' << v[i] << '"';
              out << "]";
            }
          },
          spec.default_value);
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace kiosk

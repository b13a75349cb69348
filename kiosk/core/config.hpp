#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace kiosk {

// A configuration problem, with the file and line where it is.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kiosk's one configuration file (TOML, /etc/helsenorge-kiosk/kiosk.toml by default).
// Every key is declared once in config.cpp with its type and default, so a missing key
// gets its default, a wrong type names the key and line, and an unknown key is warned about.
// Paths are resolved against the file's folder, so a self-contained demo folder works
// wherever it is.
class Config {
 public:
  using Value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;
  enum class Type { Bool, Integer, String, Path, StringList };

  struct KeySpec {
    std::string key;  // "section.name"
    Type type;
    Value default_value;
    std::string help;  // one line for the documented example file
  };

  // Defaults only.
  Config();
  static Config load(const std::filesystem::path& file);  // throws ConfigError
  static Config parse(const std::string& toml_text, const std::filesystem::path& base_dir,
                      const std::string& source_name);  // throws ConfigError

  static const std::vector<KeySpec>& schema();

  // The allowed values of a whole-number key (every one has a range); a value outside it is
  // refused by load(), parse() and set() with the key, the line and the range in plain words.
  struct Range {
    std::int64_t min;
    std::int64_t max;
    std::string unit;       // "seconds", "bytes", ...
    std::string text() const;  // "60 to 86400 seconds"
  };
  static std::optional<Range> range(const std::string& key);
  static const std::map<std::string, Range>& ranges();
  // Staff lock-outs never get shorter than this, whatever the file says (kiosk_flow's StaffLock too).
  static constexpr std::int64_t kMinStaffLockoutSeconds = 60;
  // Relative paths given to set() are resolved against this folder (the configuration file's).
  void set_base_dir(const std::filesystem::path& dir) { base_dir_ = dir; }
  static std::filesystem::path default_path();  // $KIOSK_CONFIG or /etc/helsenorge-kiosk/kiosk.toml

  bool get_bool(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;  // also for Path keys
  std::filesystem::path get_path(const std::string& key) const;
  const std::vector<std::string>& get_list(const std::string& key) const;
  bool is_set(const std::string& key) const;  // given in the file, not defaulted

  // Overrides from the command line (--store, --broker). Throws for unknown keys.
  void set(const std::string& key, Value value);

  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::filesystem::path& source() const { return source_; }

  // The documented example file with every key and its default.
  static std::string example_toml();

 private:
  const Value& value(const std::string& key, Type expected) const;
  std::map<std::string, Value> values_;
  std::map<std::string, bool> explicitly_set_;
  std::vector<std::string> warnings_;
  std::filesystem::path source_;
  std::filesystem::path base_dir_;
};

}  // namespace kiosk

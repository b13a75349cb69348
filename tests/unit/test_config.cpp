#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "config.hpp"

using kiosk::Config;
using kiosk::ConfigError;

TEST_CASE("config: defaults for every key, overrides from the file, relative paths resolved") {
  const Config defaults;
  CHECK(defaults.get_int("ui.inactivity_warning_seconds") == 90);
  CHECK(defaults.get_string("site.help_phone") == "23 32 70 00");
  const auto c =
      Config::parse("[store]\npath = \"data/kiosk.db\"\n[ui]\nlanguages = [\"nb\", \"nn\"]\n", "/srv/kiosk", "k.toml");
  CHECK(c.get_path("store.path") == "/srv/kiosk/data/kiosk.db");
  CHECK(c.get_list("ui.languages").size() == 2);
  CHECK(c.is_set("store.path"));
  CHECK_FALSE(c.is_set("broker.url"));
  CHECK(c.warnings().empty());
}

TEST_CASE("config: wrong types and broken TOML name the key and the line, unknown keys warn") {
  CHECK_THROWS_WITH_AS(Config::parse("[ui]\n\ninactivity_warning_seconds = \"soon\"\n", "/", "k.toml"),
                       doctest::Contains("k.toml line 3: \"ui.inactivity_warning_seconds\" must be a whole number"),
                       ConfigError);
  CHECK_THROWS_WITH_AS(Config::parse("[ui\n", "/", "k.toml"), doctest::Contains("k.toml line 1"), ConfigError);
  CHECK_THROWS_WITH_AS(Config::parse("[ui]\ntheme = \"pink\"\n", "/", "k.toml"), doctest::Contains("ui.theme"),
                       ConfigError);
  const auto c = Config::parse("[ui]\ncolour = 1\n", "/", "k.toml");
  REQUIRE(c.warnings().size() == 1);
  CHECK(c.warnings()[0].find("line 2: unknown key \"ui.colour\"") != std::string::npos);
  CHECK_THROWS_AS(Config::load("/nonexistent/kiosk.toml"), ConfigError);
}

TEST_CASE("config: the documented example parses back to the defaults") {
  const auto c = Config::parse(Config::example_toml(), "/", "example.toml");
  CHECK(c.warnings().empty());
  for (const auto& spec : Config::schema()) {
    CAPTURE(spec.key);
    CHECK(c.is_set(spec.key));
    // Each value read back equals the schema's default (paths are absolute or empty, so the
    // base folder "/" leaves them as they are).
    switch (spec.type) {
      case Config::Type::Bool:
        CHECK(c.get_bool(spec.key) == std::get<bool>(spec.default_value));
        break;
      case Config::Type::Integer:
        CHECK(c.get_int(spec.key) == std::get<std::int64_t>(spec.default_value));
        break;
      case Config::Type::String:
      case Config::Type::Path:
        CHECK(c.get_string(spec.key) == std::get<std::string>(spec.default_value));
        break;
      case Config::Type::StringList:
        CHECK(c.get_list(spec.key) == std::get<std::vector<std::string>>(spec.default_value));
        break;
    }
  }
}

TEST_CASE("config: every whole number has a range and a value out of range is refused with the line and the range") {
  for (const auto& spec : Config::schema()) {
    if (spec.type != Config::Type::Integer) continue;
    const auto r = Config::range(spec.key);
    REQUIRE_MESSAGE(r, spec.key << " has no range");
    const auto def = std::get<std::int64_t>(spec.default_value);
    CHECK_MESSAGE((def >= r->min && def <= r->max), spec.key << ": the default is outside its range");
  }
  struct Case {
    const char* toml;
    const char* says;
  };
  for (const Case& c : {
           Case{"[staff]\n\nlockout_seconds = 0\n", "k.toml line 3: \"staff.lockout_seconds\" must be 60 to 86400 seconds, not 0"},
           Case{"[staff]\nlockout_seconds = 59\n", "must be 60 to 86400 seconds"},
           Case{"[delivery]\nmax_message_bytes = 0\n", "\"delivery.max_message_bytes\" must be 1024 to 1073741824 bytes"},
           Case{"[delivery]\nreceipt_timeout_s = 9223372036854775807\n", "\"delivery.receipt_timeout_s\" must be 1 to 604800 seconds"},
           Case{"[ui]\ninactivity_warning_seconds = 0\n", "\"ui.inactivity_warning_seconds\" must be 10 to 3600 seconds"},
           Case{"[ui]\ninactivity_countdown_seconds = -5\n", "must be 5 to 600 seconds, not -5"},
           Case{"[delivery]\nbackoff_initial_ms = 5000\nbackoff_max_ms = 1000\n", "must not be less than"},
       })
    CHECK_THROWS_WITH_AS(Config::parse(c.toml, "/", "k.toml"), doctest::Contains(c.says), ConfigError);
  CHECK(Config::parse("[staff]\nlockout_seconds = 60\n", "/", "k.toml").get_int("staff.lockout_seconds") == 60);
  Config set;
  CHECK_THROWS_WITH_AS(set.set("staff.lockout_seconds", std::int64_t{0}), doctest::Contains("60 to 86400"), ConfigError);
  CHECK(set.get_int("staff.lockout_seconds") == 300);
  // The documented example says each range.
  CHECK(Config::example_toml().find("(60 to 86400 seconds)") != std::string::npos);
}

TEST_CASE("config: relative paths are against the file's folder, also for a relative file name and for set()") {
  namespace fs = std::filesystem;
  fs::create_directories(fs::temp_directory_path() / ("kiosk-config-" + std::to_string(::getpid())) / "etc");
  const fs::path dir = fs::canonical(fs::temp_directory_path() / ("kiosk-config-" + std::to_string(::getpid())));
  { std::ofstream(dir / "etc/kiosk.toml") << "[store]\npath = \"state/kiosk.db\"\n"; }
  const auto cwd = fs::current_path();
  fs::current_path(dir);
  const Config c = Config::load("etc/kiosk.toml");  // relative, as `--config etc/kiosk.toml`
  Config copy = c;
  copy.set("store.key_file", "state/store.key");
  fs::current_path(cwd);
  CHECK(c.get_path("store.path") == dir / "etc/state/kiosk.db");
  CHECK(copy.get_path("store.key_file") == dir / "etc/state/store.key");
  fs::remove_all(dir);
}

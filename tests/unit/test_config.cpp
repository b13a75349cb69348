#include <doctest/doctest.h>

#include <cstdint>
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

// Writing the configuration and other files atomically, and the kiosk user's ids.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <toml++/toml.h>

#include "admin/checks.hpp"
#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "unique_fd.hpp"

namespace kiosk::admin {

namespace {

using Fd = UniqueFd;

std::string errno_text() {
  return std::strerror(errno);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t\"");
    const auto last = item.find_last_not_of(" \t\"");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
  }
  return out;
}

}  // namespace

std::optional<unsigned> kiosk_user_uid() {
  if (const passwd* pw = ::getpwnam("kiosk")) return pw->pw_uid;
  return std::nullopt;
}

std::optional<unsigned> kiosk_user_gid() {
  if (const group* gr = ::getgrnam("kiosk")) return gr->gr_gid;
  return std::nullopt;
}

namespace {

// One value as TOML text.
std::string value_text(const Config& config, const Config::KeySpec& spec) {
  std::ostringstream out;
  switch (spec.type) {
    case Config::Type::Bool:
      out << (config.get_bool(spec.key) ? "true" : "false");
      break;
    case Config::Type::Integer:
      out << config.get_int(spec.key);
      break;
    case Config::Type::String:
    case Config::Type::Path:
      out << toml::value<std::string>(config.get_string(spec.key));
      break;
    case Config::Type::StringList: {
      const auto& list = config.get_list(spec.key);
      out << "[";
      for (size_t i = 0; i < list.size(); ++i) out << (i ? ", " : "") << toml::value<std::string>(list[i]);
      out << "]";
      break;
    }
  }
  return out.str();
}

}  // namespace

std::string render_config(const Config& config) {
  std::ostringstream out;
  out << "# Helsenorge ekstra enkel kiosk: configuration.\n"
         "# Every key is documented in ADMIN.md; a key left out gets its default.\n"
         "# Check the file with: kioskctl config check --config THIS_FILE\n";
  // Sections in the order they first appear, each with all its keys (a section's keys may
  // be spread over the schema; TOML allows each table only once).
  std::vector<std::string> sections;
  for (const auto& spec : Config::schema()) {
    const std::string sec = spec.key.substr(0, spec.key.find('.'));
    if (std::find(sections.begin(), sections.end(), sec) == sections.end()) sections.push_back(sec);
  }
  std::vector<const Config::KeySpec*> ordered;
  for (const auto& sec : sections)
    for (const auto& spec : Config::schema())
      if (spec.key.substr(0, spec.key.find('.')) == sec) ordered.push_back(&spec);
  std::string section;
  for (const Config::KeySpec* spec_ptr : ordered) {
    const Config::KeySpec& spec = *spec_ptr;
    const auto dot = spec.key.find('.');
    const std::string sec = spec.key.substr(0, dot);
    if (sec != section) {
      out << "\n[" << sec << "]\n";
      section = sec;
    }
    out << "# " << spec.help;
    if (const auto range = Config::range(spec.key)) out << " (" << range->text() << ")";
    out << "\n" << spec.key.substr(dot + 1) << " = " << value_text(config, spec) << "\n";
  }
  return out.str();
}

void set_from_text(Config& config, const std::string& key, const std::string& text) {
  const Config::KeySpec* spec = nullptr;
  for (const auto& s : Config::schema())
    if (s.key == key) spec = &s;
  if (!spec) throw SetupError("There is no configuration key \"" + key + "\". ADMIN.md lists them all.");
  switch (spec->type) {
    case Config::Type::Bool:
      if (text != "true" && text != "false")
        throw SetupError("\"" + key + "\" must be true or false, not \"" + text + "\".");
      config.set(key, text == "true");
      return;
    case Config::Type::Integer: {
      std::int64_t number = 0;
      size_t used = 0;
      try {
        number = std::stoll(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      const auto range = Config::range(key);
      if (used == 0 || used != text.size() || !range || number < range->min || number > range->max)
        throw SetupError("\"" + key + "\" must be a whole number from " + (range ? range->text() : "0") + ", not \"" +
                         text + "\".");
      config.set(key, number);
      return;
    }
    case Config::Type::String:
      config.set(key, text);
      return;
    case Config::Type::Path:
      // A relative path is against the configuration file's folder, as in the file itself
      // (Config::set resolves it), so the file holds no surprise.
      config.set(key, text);
      return;
    case Config::Type::StringList: {
      std::string inner = text;
      if (!inner.empty() && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
      config.set(key, split_list(inner));
      return;
    }
  }
}

void write_file_atomically(const std::filesystem::path& file, const std::string& text, unsigned mode,
                           std::optional<unsigned> group_gid) {
  const std::filesystem::path dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw SetupError("Cannot create the folder " + dir.string() + ": " + ec.message() + ".");
  std::string tmp_name = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  Fd tmp(::mkstemp(tmp_name.data()));
  if (tmp.fd < 0) throw SetupError("Cannot write in " + dir.string() + ": " + errno_text() + ".");
  auto fail = [&](const std::string& what) {
    const std::string reason = errno_text();
    ::unlink(tmp_name.c_str());
    throw SetupError("Cannot write " + file.string() + " (" + what + "): " + reason + ".");
  };
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(tmp.fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(tmp.fd, static_cast<mode_t>(mode)) != 0) fail("chmod");
  if (group_gid && ::geteuid() == 0 && ::fchown(tmp.fd, 0, static_cast<gid_t>(*group_gid)) != 0) fail("chown");
  if (::fsync(tmp.fd) != 0) fail("fsync");
  if (::rename(tmp_name.c_str(), file.c_str()) != 0) fail("rename");
  // The rename is only durable once the folder itself is on disk.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  if (dir_fd.fd >= 0) ::fsync(dir_fd.fd);
}

void write_config(const std::filesystem::path& file, const Config& config) {
  const std::string text = render_config(config);
  // Never write a file the kiosk would refuse to start with.
  Config reread;
  try {
    reread = Config::parse(text, file.parent_path(), file.string());
  } catch (const ConfigError& e) {
    throw SetupError(std::string("The new configuration is not valid: ") + e.what());
  }
  for (const auto& spec : Config::schema()) {
    bool same = value_text(reread, spec) == value_text(config, spec);
    if (!same && spec.type == Config::Type::Path && std::filesystem::path(config.get_string(spec.key)).is_relative())
      // A relative path is read back relative to the file's folder.
      same =
          reread.get_string(spec.key) == (file.parent_path() / config.get_string(spec.key)).lexically_normal().string();
    if (!same) throw SetupError("\"" + spec.key + "\" does not read back the same; nothing was written.");
  }
  write_file_atomically(file, text, 0640, kiosk_user_gid());
}

ConfigFile load_config_file(const std::filesystem::path& file) {
  ConfigFile out;
  std::error_code ec;
  out.exists = std::filesystem::exists(file, ec);
  if (!out.exists) return out;
  try {
    out.config = Config::load(file);
  } catch (const ConfigError& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace kiosk::admin

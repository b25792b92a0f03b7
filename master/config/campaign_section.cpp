#include "master/config/campaign_section.h"

#include <algorithm>
#include <filesystem>

namespace lorahpo {
namespace {

/// It names the run directory (runs/<name>-<time>) and appears in log lines.
bool is_good_name(const std::string& name) {
  return !name.empty() && name.find_first_of("/\\") == std::string::npos && name != "." &&
         name != ".." && name.size() <= 100 && std::none_of(name.begin(), name.end(), [](char ch) {
           return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
         });
}

}  // namespace

CampaignSettings read_campaign(const ConfigSection& s, const std::string& file_name,
                               Direction default_direction) {
  s.allow_only({"name", "budget", "direction", "seed"});
  CampaignSettings c;
  c.name = std::filesystem::path(file_name).stem().string();
  s.read_text("name", &c.name);
  if (!is_good_name(c.name)) {
    s.fail(s["name"], s.key_of("name"),
           "must be 1 to 100 characters, without '/', '\\' or control characters, and not . or ..");
  }
  s.required("budget");
  s.read_integer("budget", &c.budget, {1, 1000000, ""});
  c.direction = default_direction;
  if (s.has("direction")) {
    const std::string direction = s.text(s["direction"], s.key_of("direction"));
    if (direction == "maximize") {
      c.direction = Direction::kMaximize;
    } else if (direction == "minimize") {
      c.direction = Direction::kMinimize;
    } else {
      s.fail_at("direction", "must be maximize or minimize, got '" + direction + "'");
    }
  }
  if (s.has("seed")) {
    const long long seed = s.integer(s["seed"], s.key_of("seed"));
    if (seed < 0) s.fail_at("seed", "must be >= 0");
    c.seed = static_cast<std::uint64_t>(seed);
  }
  return c;
}

}  // namespace lorahpo

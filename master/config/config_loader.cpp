#include "master/config/config_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "common/config_error.h"
#include "master/config/campaign_section.h"
#include "master/config/config_section.h"
#include "master/config/config_text.h"
#include "master/config/objective_section.h"
#include "master/config/optimizer_section.h"
#include "master/config/run_policy_sections.h"
#include "master/config/yaml_deadline.h"

namespace lorahpo {
namespace {

/// " (the limit is N levels)" from yaml-cpp 0.7 and 0.8 (Debian 12, 13), whose DeepRecursion has
/// depth(); Debian 11's 0.6.3 carries the same guard backported, but its AtDepth() is not exported
/// from the shared library, so nothing is added there. The overload taking `int` wins when
/// depth() exists.
template <typename Recursion>
auto recursion_limit_text(const Recursion& e, int) -> decltype(e.depth(), std::string()) {
  return fmt::format(" (the limit is {} levels)", e.depth());
}
template <typename Recursion>
std::string recursion_limit_text(const Recursion&, long) {
  return "";
}

/// Largest campaign file read: a campaign is a few hundred bytes; more is a wrong file.
constexpr std::uintmax_t kMaxConfigBytes = 1u << 20;

/// The one YAML document of `text`, a mapping; syntax errors name the line.
YAML::Node read_document(const std::string& text, const std::string& file_name) {
  check_text(text, file_name);
  std::vector<YAML::Node> documents;
  try {
    documents = load_all_within(text, kYamlParseDeadline);
  } catch (const YamlParseTimeout& e) {
    throw ConfigError(file_name, 0, "",
                      fmt::format("YAML syntax error: the parser did not finish within {} s. "
                                  "yaml-cpp before 0.7 (Debian 11) loops on some malformed "
                                  "brackets and braces, such as \"{{:\" or \"[:\": check them",
                                  std::chrono::duration<double>(e.deadline).count()));
  } catch (const YAML::DeepRecursion& e) {  // a nesting bomb: yaml-cpp stops at 2000 levels
    throw ConfigError(file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                      "YAML syntax error: nested too deeply" + recursion_limit_text(e, 0));
  } catch (const YAML::Exception& e) {  // ParserException
    // Something left open (a quote, a bracket) is found at the end of the input, which yaml-cpp
    // reports one line past the last one: name the last line instead.
    const int last_line =
        std::max(1, line_at(text, text.size()) - (!text.empty() && text.back() == '\n' ? 1 : 0));
    throw ConfigError(file_name, e.mark.line >= 0 ? std::min(e.mark.line + 1, last_line) : 0, "",
                      ConfigSection::one_line("YAML syntax error: " + e.msg, 400));
  }
  if (documents.size() > 1) {
    throw ConfigError(file_name, ConfigSection::line_of(documents[1]), "",
                      "starts a second YAML document (---): a campaign file holds one");
  }
  const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  if (root.IsNull()) {
    throw ConfigError(file_name, 0, "",
                      "is empty: a campaign needs at least campaign and objective");
  }
  if (!root.IsMap()) {
    throw ConfigError(
        file_name, ConfigSection::line_of(root), "",
        "must be a YAML mapping with campaign, search_space, optimizer and objective");
  }
  return root;
}

/// A space of integers and categoricals only holds finitely many points, and no optimizer
/// proposes one twice: a larger budget would end with "proposed no point while no evaluation is
/// running" once they are all run. Refused up front, naming campaign.budget.
void check_budget_fits_space(const ConfigSection& campaign, const CampaignConfig& config) {
  std::int64_t points = 1;
  for (const Parameter& p : config.space.parameters()) {
    if (p.type == ParamType::kFloat) return;
    if (points > config.campaign.budget) return;  // already more points than the budget
    points *= std::max<std::int64_t>(p.cardinality(), 1);
  }
  if (config.space.dim() > 0 && points < config.campaign.budget) {
    campaign.fail_at("budget", "is " + std::to_string(config.campaign.budget) +
                                   ", but the search space (integers and categoricals only) has " +
                                   std::to_string(points) +
                                   " distinct points, and no optimizer runs one twice");
  }
}

CampaignConfig parse_checked_config(const std::string& text, const std::string& file_name,
                                    const std::string& config_dir) {
  const ConfigSection root(file_name, read_document(text, file_name), "", config_dir);
  root.allow_only(
      {"campaign", "search_space", "optimizer", "objective", "failures", "workers", "rechecks"});
  CampaignConfig config;
  config.source_path = file_name;
  config.source_text = text;
  config.config_dir = config_dir;
  // objective first: a builtin may bring the search space and the direction.
  ObjectiveAndSpace objective = read_objective_and_space(root);
  config.objective = std::move(objective.objective);
  config.space = std::move(objective.space);
  root.required("campaign");
  config.campaign = read_campaign(root.child("campaign"), file_name, objective.default_direction);
  check_budget_fits_space(root.child("campaign"), config);
  config.optimizer = read_optimizer(root.child("optimizer"));
  // failures, workers (optional; an empty section keeps the defaults)
  if (root.has("failures") && !root["failures"].IsNull())
    config.failures = read_failures(root.child("failures"));
  if (root.has("workers") && !root["workers"].IsNull())
    config.workers = read_workers(root.child("workers"));
  if (root.has("rechecks") && !root["rechecks"].IsNull())
    config.rechecks = read_rechecks(root.child("rechecks"));
  return config;
}

}  // namespace

CampaignConfig parse_config(const std::string& text, const std::string& file_name,
                            const std::string& config_dir) {
  // Whatever the file holds, the caller gets a ConfigError (one line, exit 2), never another
  // exception (which would end the process with std::terminate).
  try {
    return parse_checked_config(text, file_name, config_dir);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw ConfigError(file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                      ConfigSection::one_line("cannot be read as a campaign: " + e.msg, 400));
  } catch (const std::bad_alloc&) {
    throw ConfigError(file_name, 0, "", "cannot be read as a campaign: out of memory");
  } catch (const std::exception& e) {
    throw ConfigError(
        file_name, 0, "",
        ConfigSection::one_line(std::string("cannot be read as a campaign: ") + e.what(), 400));
  }
}

CampaignConfig load_config(const std::string& path) {
  if (path.empty()) throw ConfigError("''", 0, "", "is not a file name: give the campaign file");
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    const int error = errno;
    throw ConfigError(path, 0, "",
                      error == ENOENT || error == ENOTDIR
                          ? std::string("does not exist")
                          : std::string("cannot be read: ") + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw ConfigError(path, 0, "", "is a directory, not a campaign file");
  if (!S_ISREG(info.st_mode)) {
    // A device (/dev/zero), a pipe or a socket: reading it could block or never end.
    throw ConfigError(path, 0, "", "is not a regular file (a device, a pipe or a socket)");
  }
  if (static_cast<std::uintmax_t>(info.st_size) > kMaxConfigBytes) {
    throw ConfigError(path, 0, "",
                      fmt::format("is too large for a campaign file ({} bytes; at most {})",
                                  info.st_size, kMaxConfigBytes));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path, 0, "", std::string("cannot be read: ") + std::strerror(errno));
  std::string text(kMaxConfigBytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) throw ConfigError(path, 0, "", "cannot be read: I/O error");
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > kMaxConfigBytes) {  // it grew since stat()
    throw ConfigError(
        path, 0, "",
        fmt::format("is too large for a campaign file (at most {} bytes)", kMaxConfigBytes));
  }
  std::error_code ec;
  const auto dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  return parse_config(text, path, dir.lexically_normal().string());
}

}  // namespace lorahpo

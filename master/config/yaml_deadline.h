#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace lorahpo {

/// How long parsing a campaign file may take: a real one parses in milliseconds.
inline constexpr std::chrono::seconds kYamlParseDeadline{5};

/// Thrown when the YAML parser did not finish within the deadline.
struct YamlParseTimeout {
  std::chrono::milliseconds deadline;
};

/// `parse(text)` (YAML::LoadAll by default) on a thread of its own, waited for at most
/// `deadline`: the parser's exceptions come through unchanged; a parse still running at the
/// deadline throws YamlParseTimeout and is left behind (detached, owning its copy of the text).
/// Why: Debian 11's yaml-cpp 0.6.3 loops forever, allocating as it goes, on some malformed flow
/// collections such as "{:" or "[:" (Scanner::EnsureTokensInQueue, jbeder/yaml-cpp#499, fixed by
/// #911 in 0.7.0), so a typo in a config on Grid'5000's standard image would hang `lorahpo run`
/// until the node runs out of memory. The caller turns the timeout into a ConfigError and the
/// process ends soon after, taking the runaway parse with it.
std::vector<YAML::Node> load_all_within(
    const std::string& text, std::chrono::milliseconds deadline,
    const std::function<std::vector<YAML::Node>(const std::string&)>& parse =
        [](const std::string& t) { return YAML::LoadAll(t); });

}  // namespace lorahpo

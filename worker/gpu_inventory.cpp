#include "worker/gpu_inventory.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/placeholder_template.h"
#include "worker/captured_command.h"
#include "worker/command_evaluator.h"

namespace lorahpo {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

/// The index of the one UUID that `entry` starts (CUDA accepts a unique prefix); -1 if none or
/// several.
int match_uuid(const std::vector<std::string>& uuids, const std::string& entry) {
  int found = -1;
  for (std::size_t i = 0; i < uuids.size(); ++i) {
    if (!uuids[i].empty() && uuids[i].compare(0, entry.size(), entry) == 0) {
      if (found >= 0) return -1;
      found = static_cast<int>(i);
    }
  }
  return found;
}

}  // namespace

GpuListing parse_gpu_listing(const std::string& text) {
  // "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-...)" at the start of a line;
  // "  MIG 3g.20gb     Device  0: (UUID: MIG-...)" indented below its GPU.
  static const std::regex kGpu(R"(^GPU\s+\d+:.*?(?:\(UUID:\s*([^)\s]+)\))?\s*$)");
  static const std::regex kMig(R"(^\s+MIG\s+.*Device\s+\d+:.*?(?:\(UUID:\s*([^)\s]+)\))?\s*$)");
  GpuListing listing;
  std::istringstream lines(text);
  std::string line;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::regex_match(line, match, kGpu)) {
      listing.gpu_uuids.push_back(match[1].str());
    } else if (std::regex_match(line, match, kMig)) {
      listing.mig_uuids.push_back(match[1].str());
    }
  }
  return listing;
}

int cuda_visible_count(const GpuListing& listing, const std::optional<std::string>& visible) {
  if (!visible) return listing.gpus();
  std::set<std::string> seen;  // "gpu:<index>" or "mig:<index>"
  std::istringstream entries(*visible);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    entry = trim(entry);
    std::string key;
    if (all_digits(entry)) {
      const unsigned long index = std::stoul(entry);
      if (index >= static_cast<unsigned long>(listing.gpus())) break;
      key = "gpu:" + std::to_string(index);
    } else if (entry.rfind("GPU-", 0) == 0) {
      const int index = match_uuid(listing.gpu_uuids, entry);
      if (index < 0) break;
      key = "gpu:" + std::to_string(index);
    } else if (entry.rfind("MIG-", 0) == 0) {
      const int index = match_uuid(listing.mig_uuids, entry);
      if (index < 0) break;
      key = "mig:" + std::to_string(index);
    } else {
      break;  // an invalid entry (e.g. -1) hides it and everything after it
    }
    seen.insert(key);
  }
  return static_cast<int>(seen.size());
}

GpuCount count_visible_gpus(const std::vector<std::string>& environment, double timeout_seconds) {
  GpuCount count;
  const CapturedCommand run = run_captured({"nvidia-smi", "-L"}, environment, timeout_seconds);
  if (!run.exited_zero) {
    count.error = run.error;
    return count;
  }
  const GpuListing listing = parse_gpu_listing(run.output);
  count.listed = true;
  count.total = listing.gpus();
  count.mig_devices = static_cast<int>(listing.mig_uuids.size());
  count.visible =
      cuda_visible_count(listing, environment_value(environment, "CUDA_VISIBLE_DEVICES"));
  return count;
}

std::vector<std::string> litgpt_trial_environment(const LitgptObjective& objective,
                                                  const EvaluateMessage& request,
                                                  const std::string& config_dir) {
  const auto lookup = [&](const std::string& name) {
    return trial_placeholder(name, request, config_dir);
  };
  std::vector<std::string> extra = {"CUDA_VISIBLE_DEVICES=" + objective.cuda_visible_devices};
  for (const auto& [key, value] : objective.env)
    extra.push_back(key + "=" + expand_placeholders(value, lookup));
  return trial_environment(request, extra);
}

std::optional<std::string> gpu_node_fault(const LitgptObjective& objective,
                                          const EvaluateMessage& request,
                                          const std::string& config_dir) {
  std::vector<std::string> environment;
  try {
    environment = litgpt_trial_environment(objective, request, config_dir);
  } catch (const std::invalid_argument& e) {
    return std::string(kNodeFaultPrefix) + "litgpt objective env template: " + e.what();
  }
  const GpuCount count = count_visible_gpus(environment);
  if (!count.listed) return std::string(kNodeFaultPrefix) + "cannot list the GPUs: " + count.error;
  if (count.visible != objective.devices) {
    return fmt::format(
        "{}{} GPUs visible, objective.devices = {} (nvidia-smi -L lists {}, "
        "CUDA_VISIBLE_DEVICES={})",
        kNodeFaultPrefix, count.visible, objective.devices, count.total,
        objective.cuda_visible_devices);
  }
  return std::nullopt;
}

}  // namespace lorahpo

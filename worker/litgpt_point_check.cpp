#include "worker/litgpt_point_check.h"

#include <fmt/format.h>

#include "worker/litgpt_keys.h"

namespace lorahpo {
namespace {

/// The integer at `path`, or nullopt when absent or not an integer.
std::optional<long long> integer_at(const nlohmann::ordered_json& config, const std::string& path) {
  const nlohmann::ordered_json* value = value_at_litgpt_path(config, path);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  return value->get<long long>();
}

bool any_searched(const std::set<std::string>& searched, std::initializer_list<const char*> paths) {
  for (const char* path : paths) {
    if (searched.count(path) != 0) return true;
  }
  return false;
}

std::optional<std::string> batch_problem(const nlohmann::ordered_json& config) {
  const auto global = integer_at(config, "train.global_batch_size");
  const auto micro = integer_at(config, "train.micro_batch_size");
  const long long devices = integer_at(config, "devices").value_or(1);
  const long long nodes = integer_at(config, "num_nodes").value_or(1);
  if (!global || !micro || *micro < 1 || devices < 1 || nodes < 1) return std::nullopt;
  const long long unit = *micro * devices * nodes;
  if (*global >= unit && *global % unit == 0) return std::nullopt;
  const long long accumulation = *global / (devices * nodes) / *micro;
  const std::string outcome =
      accumulation < 1 ? "LitGPT would stop on `assert gradient_accumulation_iters > 0`"
                       : fmt::format("LitGPT would train with a global batch of {} instead",
                                     accumulation * unit);
  return fmt::format(
      "impossible point: train.global_batch_size ({}) is not a multiple of "
      "train.micro_batch_size x devices{} ({} x {}{} = {}): {} (litgpt v0.5.13 args.py "
      "TrainArgs.batch_size, gradient_accumulation_iters)",
      *global, nodes > 1 ? " x num_nodes" : "", *micro, devices,
      nodes > 1 ? fmt::format(" x {}", nodes) : std::string(), unit, outcome);
}

std::optional<std::string> warmup_problem(const nlohmann::ordered_json& config) {
  const auto warmup = integer_at(config, "train.lr_warmup_steps");
  const auto max_steps = integer_at(config, "train.max_steps");
  if (!warmup || !max_steps || *warmup < *max_steps) return std::nullopt;
  return fmt::format(
      "impossible point: train.lr_warmup_steps ({}) must be below train.max_steps ({}): the "
      "warm-up would never end and the run never train at the sampled learning rate (litgpt "
      "v0.5.13 args.py TrainArgs.__post_init__ warns; finetune/lora.py get_lr_scheduler)",
      *warmup, *max_steps);
}

}  // namespace

std::optional<std::string> litgpt_point_problem(const nlohmann::ordered_json& config,
                                                const std::set<std::string>& searched) {
  for (const std::string& path : searched) {
    const LitgptKey* key = find_litgpt_key(path);
    const nlohmann::ordered_json* value = value_at_litgpt_path(config, path);
    if (key == nullptr || value == nullptr || !value->is_number()) continue;
    const double x = value->get<double>();
    if (!litgpt_in_range(*key, x)) {
      return fmt::format("impossible point: {} = {} is outside {} ({})", path, value->dump(),
                         litgpt_range_text(*key), key->source);
    }
  }
  if (any_searched(searched, {"train.global_batch_size", "train.micro_batch_size"})) {
    if (auto problem = batch_problem(config)) return problem;
  }
  if (any_searched(searched, {"train.lr_warmup_steps", "train.max_steps"})) {
    if (auto problem = warmup_problem(config)) return problem;
  }
  return std::nullopt;
}

}  // namespace lorahpo

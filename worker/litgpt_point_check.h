#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace lorahpo {

/// Why LitGPT cannot train the trial config `config` (litgpt_trial_json's) as sampled, or nullopt.
/// Checked per point on the worker before any GPU is used, so that an impossible point is a
/// `failed` evaluation with this reason (the optimizer hears it as any failed point) and litgpt
/// never starts. Only constraints that involve a searched key (`searched`: key paths) are
/// checked: the fixed values were checked once when the campaign file was read.
///   - train.global_batch_size a multiple of train.micro_batch_size x devices x num_nodes: LitGPT
///     (v0.5.13 args.py TrainArgs.batch_size and gradient_accumulation_iters) floors
///     global // (devices x num_nodes) // micro, so a non-multiple trains with another batch than
///     the point says, and a smaller one fails `assert gradient_accumulation_iters > 0`;
///   - every searched value inside its key's range (litgpt_keys.h: betas in [0, 1), ...);
///   - train.lr_warmup_steps below train.max_steps when max_steps is set: else the warm-up never
///     ends and the run never trains at the sampled learning rate (LitGPT only warns: v0.5.13
///     args.py TrainArgs.__post_init__; finetune/lora.py get_lr_scheduler then builds a cosine
///     phase of max_steps - warmup_steps <= 0 steps).
std::optional<std::string> litgpt_point_problem(const nlohmann::ordered_json& config,
                                                const std::set<std::string>& searched);

}  // namespace lorahpo

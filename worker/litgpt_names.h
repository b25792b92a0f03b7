#pragma once

#include <set>
#include <string>
#include <vector>

namespace lorahpo {

// The vocabulary of the litgpt objective, beside the evaluator that uses it: what the config reader
// (master/config/litgpt_section.cpp) accepts is exactly what LitgptEvaluator can write.

// The keys a search may set are worker/litgpt_keys.h's.

/// The layers LitGPT can put a LoRA on: `lora_<target>` flags of litgpt finetune_lora
/// (litgpt v0.5.x finetune/lora.py setup(): lora_query, lora_key, lora_value, lora_projection,
/// lora_mlp, lora_head). The trial config sets each flag (litgpt_trial_config).
const std::vector<std::string>& litgpt_lora_targets();

/// Lightning Fabric's precisions that LitGPT's `--precision` accepts (litgpt v0.5.x
/// utils.py get_default_supported_precision and finetune/lora.py setup's Literal).
const std::vector<std::string>& litgpt_precisions();

/// `litgpt evaluate --dtype` values: lm_eval's HFLM turns the string into getattr(torch, dtype)
/// ("auto" is passed through): lm_eval 0.4.x lm_eval/models/utils.py get_dtype.
const std::vector<std::string>& litgpt_eval_dtypes();

/// The keys of a litgpt `objective` section and of its `evaluate` subsection.
const std::set<std::string>& litgpt_objective_keys();
const std::set<std::string>& litgpt_evaluate_keys();

}  // namespace lorahpo

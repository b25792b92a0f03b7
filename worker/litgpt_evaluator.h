#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/campaign_config.h"
#include "worker/evaluator.h"

namespace lorahpo {

/// Search-space names the LitGPT trial understands (LitGPT's own names).
const std::vector<std::string>& litgpt_parameter_names();

/// The trial's LitGPT config (`litgpt finetune_lora --config trial.yaml`) for these values, as
/// YAML. Learning rate and weight decay go into the optimizer section of the file: LitGPT's
/// command-line flags for them are mishandled by its argument parser (litgpt issue #1905).
std::string litgpt_trial_config(const LitgptObjective& objective, const SearchSpace& space,
                                const std::vector<ParamValue>& values, const std::string& out_dir);

/// One evaluation of the real workload on one GPU node:
///   1. writes <work>/trial.yaml and runs `litgpt finetune_lora --config trial.yaml` (FSDP over
///      the node's GPUs when devices > 1), output in <work>/finetune.{out,err}.log;
///   2. runs `litgpt evaluate <work>/out/final --tasks hellaswag,mmlu --out_dir <work>/eval`,
///      output in <work>/evaluate.{out,err}.log, and reads <work>/eval/results.json: the score is
///      objective.task/metric, the test score test.task/metric (from `results`, else `groups`:
///      lm_eval versions put group aggregates such as mmlu in one or the other); every numeric
///      metric of every task goes into the journal;
///   3. deletes the merged model (out/final/lit_model.pth, ~6 GB) and evaluate's converted copy
///      unless keep_artifacts: the LoRA weights, logs and results stay.
/// Children get a clean environment (no MPI or scheduler variables: Lightning would take the
/// MPI rank for its own and never start its GPU processes) with CUDA_VISIBLE_DEVICES set, run in
/// their own process group, and are killed with it when the trial's timeout expires.
///
/// Outcomes: CUDA out of memory and a diverged (NaN) loss are real outcomes of the point
/// (failed, never retried), as are a timeout, a non-zero exit and missing results; a missing
/// checkpoint, a program that cannot start and a kill by signal are infrastructure errors
/// (error: another node may succeed).
class LitgptEvaluator final : public Evaluator {
 public:
  LitgptEvaluator(LitgptObjective objective, SearchSpace space, std::string config_dir);
  EvaluationOutcome evaluate(const EvaluateMessage& request) override;

 private:
  LitgptObjective objective_;
  SearchSpace space_;
  std::string config_dir_;
};

}  // namespace lorahpo

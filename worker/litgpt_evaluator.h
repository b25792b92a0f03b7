#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/campaign_config.h"
#include "worker/evaluator.h"
#include "worker/litgpt_names.h"

namespace lorahpo {

/// The trial's LitGPT config (`litgpt finetune_lora --config trial.yaml`) for these values: the
/// objective's fixed settings, then each parameter's value at its key (litgpt_keys.h: a short name
/// such as learning_rate at optimizer.init_args.lr, a path such as optimizer.init_args.betas[0]
/// at that element, a bool parameter as a YAML boolean). Learning rate and weight decay go into
/// the optimizer section of the file: LitGPT's command-line flags for them are mishandled by its
/// argument parser (litgpt issue #1905). Throws std::invalid_argument for a value its key cannot
/// take (the config reader refuses such a search space).
nlohmann::ordered_json litgpt_trial_json(const LitgptObjective& objective, const SearchSpace& space,
                                         const std::vector<ParamValue>& values,
                                         const std::string& out_dir);
/// The key paths the parameters of `space` set (litgpt_path_of of each name).
std::set<std::string> litgpt_searched_paths(const SearchSpace& space);
/// litgpt_trial_json as YAML, in LitGPT's key order.
std::string litgpt_trial_config(const LitgptObjective& objective, const SearchSpace& space,
                                const std::vector<ParamValue>& values, const std::string& out_dir);

/// The `eval.max_new_tokens` that makes LitGPT skip its example generation. litgpt v0.5.10-v0.5.13
/// finetune/lora.py generate_example() generates only when len(prompt tokens) + max_new_tokens <
/// model.max_seq_length, and fit() sets model.max_seq_length = min(longest training sequence,
/// train.max_seq_length), which the model's setter also bounds by its block_size. So
/// max_new_tokens >= train.max_seq_length always skips; without train.max_seq_length, 2^30 (more
/// than any LitGPT model's block_size). Skipping is required on several devices: since v0.5.11
/// (ModelParallelStrategy, FSDP2) the end-of-epoch generation runs on rank 0 alone (v0.5.13) or
/// samples different lengths per rank (v0.5.11-v0.5.12, litgpt issue #1202) while the others wait
/// in fabric.all_reduce: the run hangs until the 1800 s collective timeout.
long long litgpt_skip_generation_tokens(const nlohmann::json& train);

/// Whether the checkpoint's Hugging Face config.json ties the output head to the embeddings
/// (tie_word_embeddings: true, as Llama-3.2-1B/3B's); nullopt when it cannot be read.
std::optional<bool> litgpt_checkpoint_ties_embeddings(const std::string& checkpoint_dir);

/// `litgpt evaluate` for the merged model in `final_dir`: exactly litgpt v0.4.3-v0.5.13
/// eval/evaluate.py convert_and_evaluate's arguments (checkpoint_dir, --tasks, --out_dir,
/// --batch_size, --dtype, and --num_fewshot, --limit when set); a stale converted model is
/// never reused because the work directory is emptied before each trial.
std::vector<std::string> litgpt_evaluate_argv(const LitgptObjective& objective,
                                              const std::string& final_dir,
                                              const std::string& eval_dir);

/// One evaluation of the real workload on one GPU node:
///   0. empties the work directory (a node-local one entirely; the trial directory itself only of
///      out/ and eval/, which the worker loop already set aside with the earlier attempt's logs):
///      litgpt's merge_lora returns early when out/final/lit_model.pth exists and evaluate skips
///      its conversion when eval/pytorch_model.bin exists, so leftovers would be scored instead
///      of the new model;
///   1. writes <work>/trial.yaml and runs `litgpt finetune_lora --config trial.yaml` (FSDP over
///      the node's GPUs when devices > 1), output in <work>/finetune.{out,err}.log; with
///      stop_on_divergence the training log is watched and a run whose loss stays NaN/inf is
///      killed early;
///   2. runs `litgpt evaluate` (litgpt_evaluate_argv), output in <work>/evaluate.{out,err}.log,
///      and reads <work>/eval/results.json streaming past its `samples`: the score is
///      objective.task/metric, the test score test.task/metric (from `results`, else `groups`:
///      lm_eval versions put group aggregates such as mmlu in one or the other); every numeric
///      metric of every task goes into the journal;
///   3. keeps in the trial directory trial.yaml, the logs, results.json without `samples` (with
///      them when keep_samples) and the LoRA weights when keep_lora_weights; deletes the merged
///      model (~6 GB), evaluate's converted copy and a node-local work directory unless
///      keep_artifacts.
/// Children get a clean environment (no MPI or scheduler variables: Lightning would take the
/// MPI rank for its own and never start its GPU processes) with CUDA_VISIBLE_DEVICES set, run in
/// their own process group, and are killed with it when the trial's timeout expires.
///
/// Outcomes (worker/litgpt_outcome.h classify_litgpt_stage, logs before the exit): out of memory
/// (on any rank) and divergence are failures of the point (never retried), as are a timeout, a
/// non-zero exit and missing results; a missing checkpoint, a program that cannot start, a
/// collective timeout and a kill by an outside signal are infrastructure errors (another node
/// may succeed). Metrics: `seconds`, `gpus` (devices) and, for a run stopped early,
/// `stopped_early: true`, so that the summary counts the GPU time saved.
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

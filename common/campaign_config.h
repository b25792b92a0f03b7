#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/optimizer_options.h"
#include "common/search_space.h"

namespace lorahpo {

enum class Direction { kMaximize, kMinimize };
enum class ObjectiveKind { kBuiltin, kCommand, kLitgpt };

/// Simulated evaluation time: seconds = base + slope * value(parameter) (slope 0 or no
/// parameter: a constant). Real LoRA training time grows with lora_r, so a cost may follow it.
struct CostModel {
  double base_seconds = 0.0;
  double slope_seconds = 0.0;
  std::string parameter;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(base_seconds, slope_seconds, parameter);
  }
};

/// A built-in objective: evaluated inside the worker process, no GPU, no files.
struct BuiltinObjective {
  std::string function;
  int dim = 0;            ///< 0: the function's default
  double noise_sd = 0.0;  ///< Gaussian noise added to each score
  CostModel cost;
  /// lora_surrogate: seconds slept per hour of the real run's training time (0: no sleep);
  /// 1 makes a 52-68 minute evaluation last 0.87-1.13 s.
  double time_scale = 0.0;
  /// lora_surrogate: the HellaSwag score, "acc_norm" or "acc" (empty: acc_norm).
  std::string metric;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(function, dim, noise_sd, cost, time_scale, metric);
  }
};

/// Where the score of a command evaluation is found: a JSON file and an RFC 6901 pointer in it,
/// or (file empty) the last line of the child's stdout.
struct ResultSpec {
  std::string file;
  std::string pointer;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(file, pointer);
  }
};

/// An external program run once per evaluation, from an argv template (no shell).
struct CommandObjective {
  std::vector<std::string> argv;
  double timeout_seconds = 3600.0;
  ResultSpec result;
  std::map<std::string, std::string> env;  ///< added to the child's (cleaned) environment

  template <class Archive>
  void serialize(Archive& archive) {
    archive(argv, timeout_seconds, result, env);
  }
};

/// A task and a metric of lm_eval's results.json, e.g. hellaswag / "acc_norm,none".
struct MetricSpec {
  std::string task;
  std::string metric;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(task, metric);
  }
};

/// Stopping a diverged fine-tuning early (YAML `objective.stop_on_divergence`): once the logged
/// training loss has been NaN or infinite on `after_iterations` consecutive log lines, the run's
/// process group is killed and the point recorded as failed "diverged at iteration N". LitGPT's
/// fit() (litgpt v0.5.10-v0.5.13 finetune/lora.py) has no NaN check and would train to the end of
/// the epoch, about an hour of a 4-GPU node.
struct StopOnDivergence {
  bool enabled = true;
  int after_iterations = 3;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(enabled, after_iterations);
  }
};

/// The real workload: LoRA fine-tuning with LitGPT, then lm_eval through `litgpt evaluate`.
/// `data`, `train` and `eval` are LitGPT's own config sections, kept as JSON text and written
/// into each trial's YAML as they are; `train` and `eval` are the defaults below merged key by key
/// with the user's (master/config/litgpt_section.cpp).
struct LitgptObjective {
  std::string executable = "litgpt";
  std::string checkpoint_dir;
  std::string precision = "bf16-true";
  int devices = 4;
  int num_nodes = 1;  ///< must be 1: one LitGPT process per trial is started, on one node
  std::int64_t seed = 1337;
  /// No `head`: Llama-3.2's config.json ties the output head to the embeddings
  /// (tie_word_embeddings: true), and Hugging Face re-ties them when lm_eval loads the converted
  /// model, so a LoRA on the head would be trained and then silently dropped at evaluation.
  std::vector<std::string> lora_targets = {"query", "key", "value", "projection", "mlp"};
  std::string data_json = R"({"class_path": "litgpt.data.Alpaca"})";
  std::string train_json =
      R"({"epochs": 1, "global_batch_size": 16, "micro_batch_size": 4, "lr_warmup_steps": 100, "max_seq_length": 512, "save_interval": 1000000, "log_interval": 1})";
  /// max_new_tokens >= train.max_seq_length makes generate_example skip its generation (see
  /// litgpt_skip_generation_tokens); the loader recomputes it from the merged `train`.
  std::string eval_json =
      R"({"interval": 1000000, "initial_validation": false, "final_validation": true, "max_new_tokens": 512})";
  std::vector<std::string> tasks = {"hellaswag", "mmlu"};
  std::string eval_batch_size = "16";
  int num_fewshot = -1;  ///< -1: lm_eval's default
  double limit = 0.0;    ///< 0: every example
  /// `litgpt evaluate --dtype`: the dtype lm_eval's HFLM loads the converted model in (without
  /// it, float32: twice the memory and time of the bf16 the model was trained in).
  std::string eval_dtype = "bfloat16";
  /// Keep lm_eval's per-document `samples` (tens of MB per trial) in trials/<id>/results.json;
  /// by default the copy there has everything but them.
  bool keep_samples = false;
  MetricSpec objective{"hellaswag", "acc_norm,none"};
  MetricSpec test{"mmlu", "acc,none"};
  double timeout_seconds = 3.0 * 3600.0;  ///< training and evaluation together
  std::string work_dir = "{trial_dir}";   ///< a template; a node-local disk is best
  std::string cuda_visible_devices = "0,1,2,3";
  bool keep_artifacts = false;
  /// Keep the LoRA weights (out/final/lit_model.pth.lora, up to ~1.5 GB at lora_r 512) in the
  /// trial directory. Off by default: 50 trials would exceed a 25 GB home quota.
  bool keep_lora_weights = false;
  StopOnDivergence stop_on_divergence;
  std::map<std::string, std::string> env;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(executable, checkpoint_dir, precision, devices, num_nodes, seed, lora_targets,
            data_json, train_json, eval_json, tasks, eval_batch_size, num_fewshot, limit,
            eval_dtype, keep_samples, objective, test, timeout_seconds, work_dir,
            cuda_visible_devices, keep_artifacts, keep_lora_weights, stop_on_divergence, env);
  }
};

/// What a worker needs to evaluate a point; sent by rank 0 in the setup message.
struct ObjectiveConfig {
  ObjectiveKind kind = ObjectiveKind::kBuiltin;
  BuiltinObjective builtin;
  CommandObjective command;
  LitgptObjective litgpt;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(kind, builtin, command, litgpt);
  }
};

struct CampaignSettings {
  std::string name;
  int budget = 50;
  Direction direction = Direction::kMaximize;
  std::uint64_t seed = 1;
};

/// What happens when evaluations fail (YAML section `failures`). Infrastructure errors (status
/// error: the evaluation could not run) are retried; real failures of a point (status failed:
/// out of memory, diverged, no score) never are, after NOMAD's failed/erroneous distinction.
struct FailurePolicy {
  /// Extra attempts of one point after an infrastructure error; then it counts as failed.
  int max_retries = 2;
  /// What the optimizer is told about a failed point, so that BO and SOO steer away from it:
  /// the worst score observed so far (failed_value empty), or this fixed score.
  std::optional<double> failed_value;
  /// The campaign stops (exit 2: the setup itself is broken) when its first `stop_after`
  /// evaluations all failed...
  int stop_after = 5;
  /// ...or, once 2 * `stop_after` evaluations finished, when more than this share of them failed.
  double max_failure_rate = 0.75;
};

/// How rank 0 watches its workers and stops (YAML section `workers`).
struct WorkerPolicy {
  /// A busy worker sends a heartbeat this often.
  double heartbeat_seconds = 10.0;
  /// A busy worker silent for this long is given up: its evaluation goes to another worker
  /// and it gets no more work.
  double silent_after_seconds = 300.0;
  /// On SIGTERM, SIGINT or SIGUSR2: how long running evaluations may go on before they are
  /// cancelled (their points are dispatched again on --resume).
  double stop_grace_seconds = 60.0;
};

/// Re-checks in the idle tail (YAML section `rechecks`). Once the optimizer has asked for its
/// whole budget, a worker with nothing left to run re-evaluates one of the `top_k` best
/// configurations with another training seed, while budget evaluations are still running: GPU
/// time the campaign holds anyway, spent on the measurement noise the recommendation suffers
/// from (intensification of the incumbents, as SMAC does with new seeds: Hutter, Hoos &
/// Leyton-Brown 2011, "Sequential model-based optimization for general algorithm
/// configuration", Procedure 2). They are journaled as such, never count against the budget and
/// never hold up a budget evaluation: one starts only while the budget's last evaluations run.
struct RecheckPolicy {
  /// How many of the best configurations (by mean observed score) are candidates; 0: off.
  int top_k = 0;
  /// The most measurements of one configuration, its first included.
  int max_measurements = 4;
  /// A re-check starts only if it is expected to end before the budget's last evaluation: its
  /// point's measured duration fits before the latest expected end of the budget evaluations
  /// running (each: when it was sent + the median duration of the finished ones). Off, idle
  /// workers re-check until the budget's last evaluation ends, and the campaign ends up to one
  /// evaluation later (bench/results/rechecks.md measures both).
  bool only_if_it_fits = true;
  /// When the last budget evaluation ends: the re-checks still running finish (true), or are
  /// cancelled (false: the campaign ends when it would have without them, the re-checks' GPU
  /// time is lost).
  bool wait_at_end = true;
};

/// A whole campaign, as read and validated from one YAML file.
struct CampaignConfig {
  std::string source_path;  ///< the YAML file, as given
  std::string source_text;  ///< its bytes, copied into the run directory
  std::string config_dir;   ///< absolute directory of the file ({config_dir} in templates)
  CampaignSettings campaign;
  SearchSpace space;
  OptimizerConfig optimizer;
  ObjectiveConfig objective;
  FailurePolicy failures;
  WorkerPolicy workers;
  RecheckPolicy rechecks;
};

const char* to_string(Direction direction);
const char* to_string(ObjectiveKind kind);

}  // namespace lorahpo

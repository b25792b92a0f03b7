#include "worker/litgpt_names.h"

namespace lorahpo {

const std::vector<std::string>& litgpt_lora_targets() {
  static const std::vector<std::string> kTargets = {"query",      "key", "value",
                                                    "projection", "mlp", "head"};
  return kTargets;
}

const std::vector<std::string>& litgpt_precisions() {
  static const std::vector<std::string> kPrecisions = {"bf16-true", "bf16-mixed", "16-true",
                                                       "16-mixed", "32-true"};
  return kPrecisions;
}

const std::vector<std::string>& litgpt_eval_dtypes() {
  static const std::vector<std::string> kDtypes = {"bfloat16", "float16", "float32", "auto"};
  return kDtypes;
}

const std::set<std::string>& litgpt_objective_keys() {
  static const std::set<std::string> kKeys = {"kind",
                                              "executable",
                                              "checkpoint_dir",
                                              "precision",
                                              "devices",
                                              "num_nodes",
                                              "seed",
                                              "lora_targets",
                                              "data",
                                              "train",
                                              "eval",
                                              "evaluate",
                                              "timeout",
                                              "work_dir",
                                              "cuda_visible_devices",
                                              "keep_artifacts",
                                              "keep_lora_weights",
                                              "stop_on_divergence",
                                              "env"};
  return kKeys;
}

const std::set<std::string>& litgpt_evaluate_keys() {
  static const std::set<std::string> kKeys = {"tasks", "batch_size",   "num_fewshot", "limit",
                                              "dtype", "keep_samples", "objective",   "test"};
  return kKeys;
}

}  // namespace lorahpo

#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/search_space.h"

namespace lorahpo {

/// One real LoRA fine-tuning of Llama-3.2-3B on Alpaca (data/README.md).
struct LoraRun {
  std::string campaign;  ///< lhs, bo_gp or soo
  double learning_rate = 0.0;
  std::int64_t lora_r = 0;
  std::int64_t lora_alpha = 0;
  double lora_dropout = 0.0;
  double weight_decay = 0.0;
  double hellaswag_acc = 0.0;
  double hellaswag_acc_stderr = 0.0;  ///< lm_eval's standard error of the mean
  double hellaswag_acc_norm = 0.0;
  double hellaswag_acc_norm_stderr = 0.0;
  double mmlu_acc = 0.0;
  double mmlu_acc_stderr = 0.0;
  double minutes = 0.0;
};

/// The embedded CSV text.
const char* lora_runs_csv();
/// The 150 runs, parsed from the embedded CSV.
const std::vector<LoraRun>& lora_runs();

/// The seed deck's search space, LitGPT names: learning_rate 10^x, x in [-10, -1]; lora_r in
/// [2, 512]; lora_alpha in [1, 64]; lora_dropout in [0, 0.5]; weight_decay 10^x, x in [-5, -1].
SearchSpace seed_lora_search_space();

/// A run's hyperparameters as values of seed_lora_search_space().
std::vector<ParamValue> lora_run_values(const LoraRun& run);

/// The pairs of runs (i < j, indices into lora_runs()) with the same learning rate, lora_r and
/// lora_alpha: points of SOO's grid that differ only in LoRA dropout or weight decay. How much
/// their scores differ bounds the run-to-run noise (tests/worker/lora_surrogate_test.cpp,
/// bench/surrogate_calibration.cpp).
std::vector<std::pair<std::size_t, std::size_t>> lora_run_near_replicates();

}  // namespace lorahpo

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/search_space.h"
#include "worker/accuracy_model.h"

namespace lorahpo {

/// The HellaSwag score lora_surrogate optimizes: lm_eval's acc_norm (the default, what the
/// production configs optimize: configs/llama32_3b/*.yaml, `hellaswag` / `acc_norm,none`) or acc.
enum class LoraMetric { kAccNorm, kAcc };

const char* to_string(LoraMetric metric);
/// "acc_norm" or "acc"; "" is the default, acc_norm; anything else is nullopt.
std::optional<LoraMetric> parse_lora_metric(const std::string& text);

/// A realistic, cheap stand-in for "fine-tune Llama-3.2-3B with LoRA, then lm_eval": one
/// AccuracyModel per metric (HellaSwag acc_norm, HellaSwag acc, MMLU acc), each a GP (Matern-5/2
/// ARD, MAP, the same model BO-GP uses) fitted to the 150 real runs of
/// data/llama32_3b_alpaca_lora_hpo.csv with each run's lm_eval standard error as its noise, over
/// the seed's five hyperparameters in the unit cube of seed_lora_search_space(). Its landscape is
/// the real one: a plateau near 0.73 HellaSwag acc_norm (0.55 acc), a cliff to chance (0.25) where
/// training diverges (learning rate above ~1e-3).
/// The learning rate enters each GP through a Kumaraswamy input warp (InputWarp,
/// worker/accuracy_model.h; Snoek et al. 2014): one stationary length-scale cannot fit both the
/// cliff and the broad plateau below it (unwarped, the cliff sets a learning-rate length-scale of
/// 0.2 of the unit cube, too short for the plateau, too long for the cliff). The warp's (a, b) were
/// chosen offline, as the maximum of the GP's log posterior at its MAP hyperparameters plus
/// log-normal priors on a and b (log a, log b ~ N(0, 0.75)) over the grid log a, log b in {0, 0.5,
/// ..., 3.5}, by the slow test LoraSurrogateWarpTest (tests/worker/lora_surrogate_warp_test.cpp),
/// which re-derives them: a search at start-up would multiply the fit's time by the grid's 64
/// points. Measured log marginal likelihoods (the log posterior less the hyperparameters' priors),
/// unwarped -> warped: acc_norm -75.1 -> -24.0, acc -81.1 -> -27.1, MMLU -76.1 -> -30.7. The
/// HellaSwag warp puts lr = 1e-4, 1e-3, 1e-2 (u = 0.67, 0.78, 0.89) at w = 0.05, 0.31, 0.87: the
/// two decades around the cliff get most of the warped axis, the six decades of plateau below 1e-4
/// a twentieth. Training time follows the data too: minutes = a + b lora_r, fitted by least squares
/// (about 52 minutes at rank 2 to 68 at rank 512).
class LoraSurrogate {
 public:
  struct Estimate {
    double hellaswag_acc_norm = 0.0;  ///< posterior median
    double hellaswag_acc_norm_sd = 0.0;
    double hellaswag_acc = 0.0;
    double hellaswag_acc_sd = 0.0;
    double mmlu_acc = 0.0;
    double minutes = 0.0;
    /// The HellaSwag score of this metric.
    double hellaswag(LoraMetric metric) const {
      return metric == LoraMetric::kAcc ? hellaswag_acc : hellaswag_acc_norm;
    }
  };

  /// The learning-rate warps (coordinate 0 of the unit cube): HellaSwag acc_norm and acc share
  /// theirs (both metrics' grid maxima), MMLU has its own. a = e^2.5, b = e^2 and e^1.
  static constexpr double kHellaswagWarpA = 12.182493960703473;
  static constexpr double kHellaswagWarpB = 7.38905609893065;
  static constexpr double kMmluWarpA = 12.182493960703473;
  static constexpr double kMmluWarpB = 2.718281828459045;

  /// Fits the GPs (deterministic: a fixed seed); about 0.6 s, so use instance().
  LoraSurrogate();
  /// The process-wide surrogate, fitted on first use.
  static const LoraSurrogate& instance();

  /// values in the order of seed_lora_search_space(). Throws std::invalid_argument for values
  /// outside that space.
  Estimate predict(const std::vector<ParamValue>& values) const;
  /// Training minutes of a run at this LoRA rank.
  double minutes_for_rank(double lora_r) const {
    return minutes_intercept_ + minutes_slope_ * lora_r;
  }
  /// The best HellaSwag score of this metric among the real runs (measured, noise included).
  double best_real_score(LoraMetric metric) const {
    return metric == LoraMetric::kAcc ? best_acc_ : best_acc_norm_;
  }
  const AccuracyModel& model(LoraMetric metric) const {
    return metric == LoraMetric::kAcc ? acc_ : acc_norm_;
  }
  const AccuracyModel& mmlu_model() const { return mmlu_; }

 private:
  SearchSpace space_;
  AccuracyModel acc_norm_;
  AccuracyModel acc_;
  AccuracyModel mmlu_;
  double minutes_intercept_ = 0.0;
  double minutes_slope_ = 0.0;
  double best_acc_norm_ = 0.0;
  double best_acc_ = 0.0;
};

}  // namespace lorahpo

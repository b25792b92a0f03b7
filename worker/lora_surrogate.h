#pragma once

#include <vector>

#include "common/gaussian_process.h"
#include "common/search_space.h"

namespace lorahpo {

/// Accuracies are bounded, and the real ones sit on a plateau under a ceiling (the base model's
/// skill) above a floor (chance, 0.25 for HellaSwag's four endings). A GP fitted on raw scores
/// extrapolates the slope before the divergence cliff into impossible accuracies (0.65 where no
/// run exceeds 0.56). Fitting it on z = logit((y - low) / (high - low)) instead, with bounds one
/// standard error beyond the observed range, is a warped GP (Snelson, Rasmussen & Ghahramani
/// 2004): predictions map back through the logistic function and stay within the bounds.
struct LogitWarp {
  double low = 0.0;
  double high = 1.0;
  double forward(double y) const;
  double inverse(double z) const;
};

/// A realistic, cheap stand-in for "fine-tune Llama-3.2-3B with LoRA, then lm_eval": GPs
/// (Matern-5/2 ARD, MAP, the same model BO-GP uses) fitted to the 150 real runs of
/// data/llama32_3b_alpaca_lora_hpo.csv over the seed's five hyperparameters, in the unit cube of
/// seed_lora_search_space(). Its landscape is the real one: a plateau near 0.55 HellaSwag accuracy,
/// a cliff to 0.25 where training diverges (learning rate above ~1e-3).
/// Training time follows the data too: minutes = a + b lora_r, fitted by least squares
/// (about 52 minutes at rank 2 to 68 at rank 512).
class LoraSurrogate {
 public:
  struct Estimate {
    double hellaswag_acc = 0.0;  ///< posterior mean
    double hellaswag_sd = 0.0;   ///< posterior standard deviation
    double mmlu_acc = 0.0;
    double minutes = 0.0;
  };

  /// Fits the GPs (deterministic: a fixed seed); about a second, so use instance().
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
  /// The best HellaSwag accuracy among the real runs.
  double best_real_score() const { return best_real_score_; }

 private:
  SearchSpace space_;
  GaussianProcess hellaswag_;
  GaussianProcess mmlu_;
  LogitWarp hellaswag_warp_;
  LogitWarp mmlu_warp_;
  double minutes_intercept_ = 0.0;
  double minutes_slope_ = 0.0;
  double best_real_score_ = 0.0;
};

}  // namespace lorahpo

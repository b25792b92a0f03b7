#pragma once

#include <cstddef>

#include <Eigen/Dense>

#include "worker/lora_runs.h"

namespace lorahpo::testing_support {

/// The 150 real runs' points in the unit cube of seed_lora_search_space(), their scores and
/// lm_eval standard errors for one metric: what LoraSurrogate fits, for the tests that refit or
/// check it (lora_surrogate_test, lora_surrogate_warp_test).
struct RunData {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  Eigen::VectorXd se;
};

enum class Measured { kAccNorm, kAcc, kMmlu };

inline RunData run_data(Measured metric) {
  const auto& runs = lora_runs();
  const auto n = static_cast<Eigen::Index>(runs.size());
  RunData d{Eigen::MatrixXd(n, 5), Eigen::VectorXd(n), Eigen::VectorXd(n)};
  const SearchSpace space = seed_lora_search_space();
  for (Eigen::Index i = 0; i < n; ++i) {
    const LoraRun& run = runs[static_cast<std::size_t>(i)];
    const auto unit = space.to_unit(lora_run_values(run));
    for (Eigen::Index k = 0; k < 5; ++k) d.x(i, k) = unit[static_cast<std::size_t>(k)];
    switch (metric) {
      case Measured::kAccNorm:
        d.y(i) = run.hellaswag_acc_norm;
        d.se(i) = run.hellaswag_acc_norm_stderr;
        break;
      case Measured::kAcc:
        d.y(i) = run.hellaswag_acc;
        d.se(i) = run.hellaswag_acc_stderr;
        break;
      case Measured::kMmlu:
        d.y(i) = run.mmlu_acc;
        d.se(i) = run.mmlu_acc_stderr;
        break;
    }
  }
  return d;
}

}  // namespace lorahpo::testing_support

#include "worker/lora_surrogate.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "worker/lora_runs.h"

namespace lorahpo {
namespace {

/// Guessing among HellaSwag's four endings, or MMLU's four answers.
constexpr double kChance = 0.25;

}  // namespace

const char* to_string(LoraMetric metric) {
  return metric == LoraMetric::kAcc ? "acc" : "acc_norm";
}

std::optional<LoraMetric> parse_lora_metric(const std::string& text) {
  if (text.empty() || text == "acc_norm") return LoraMetric::kAccNorm;
  if (text == "acc") return LoraMetric::kAcc;
  return std::nullopt;
}

LoraSurrogate::LoraSurrogate()
    : space_(seed_lora_search_space()),
      acc_norm_(5, {0, {kHellaswagWarpA, kHellaswagWarpB}}),
      acc_(5, {0, {kHellaswagWarpA, kHellaswagWarpB}}),
      mmlu_(5, {0, {kMmluWarpA, kMmluWarpB}}) {
  const auto& runs = lora_runs();
  const auto n = static_cast<Eigen::Index>(runs.size());
  Eigen::MatrixXd x(n, 5);
  Eigen::VectorXd acc_norm(n), acc_norm_se(n), acc(n), acc_se(n), mmlu(n), mmlu_se(n);
  double sr = 0, sm = 0, srr = 0, srm = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const LoraRun& run = runs[static_cast<std::size_t>(i)];
    const auto unit = space_.to_unit(lora_run_values(run));
    for (Eigen::Index k = 0; k < 5; ++k) x(i, k) = unit[static_cast<std::size_t>(k)];
    acc_norm(i) = run.hellaswag_acc_norm;
    acc_norm_se(i) = run.hellaswag_acc_norm_stderr;
    acc(i) = run.hellaswag_acc;
    acc_se(i) = run.hellaswag_acc_stderr;
    mmlu(i) = run.mmlu_acc;
    mmlu_se(i) = run.mmlu_acc_stderr;
    const double r = static_cast<double>(run.lora_r);
    sr += r;
    sm += run.minutes;
    srr += r * r;
    srm += r * run.minutes;
  }
  best_acc_norm_ = acc_norm.maxCoeff();
  best_acc_ = acc.maxCoeff();
  const double count = static_cast<double>(n);
  minutes_slope_ = (count * srm - sr * sm) / (count * srr - sr * sr);
  minutes_intercept_ = (sm - minutes_slope_ * sr) / count;

  // A fixed seed: every worker process fits the very same surrogate. The surrogate is the
  // EXPECTED accuracy: each run's standard error is its noise, so the GP smooths rather than
  // copies the measurements; an evaluation adds fresh noise instead (objective.noise).
  std::mt19937_64 rng(20250101);
  acc_norm_.fit(x, acc_norm, acc_norm_se, kChance, rng);
  acc_.fit(x, acc, acc_se, kChance, rng);
  mmlu_.fit(x, mmlu, mmlu_se, kChance, rng);
}

const LoraSurrogate& LoraSurrogate::instance() {
  static const LoraSurrogate kSurrogate;
  return kSurrogate;
}

LoraSurrogate::Estimate LoraSurrogate::predict(const std::vector<ParamValue>& values) const {
  const auto unit = space_.to_unit(values);
  const Eigen::Map<const Eigen::VectorXd> u(unit.data(), static_cast<Eigen::Index>(unit.size()));
  Estimate estimate;
  const AccuracyModel::Estimate acc_norm = acc_norm_.predict(u);
  const AccuracyModel::Estimate acc = acc_.predict(u);
  estimate.hellaswag_acc_norm = acc_norm.mean;
  estimate.hellaswag_acc_norm_sd = acc_norm.sd;
  estimate.hellaswag_acc = acc.mean;
  estimate.hellaswag_acc_sd = acc.sd;
  estimate.mmlu_acc = mmlu_.predict(u).mean;
  estimate.minutes = minutes_for_rank(numeric_value(values.at(1)));
  return estimate;
}

}  // namespace lorahpo

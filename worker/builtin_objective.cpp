#include "worker/builtin_objective.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "worker/evaluation_watch.h"
#include "worker/lora_runs.h"

namespace lorahpo {
namespace {

/// SplitMix64 finalizer: decorrelates the per-trial seeds (seed, 0), (seed, 1), ...
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

BuiltinDescription describe_builtin(const BuiltinObjective& objective) {
  if (objective.function == kLoraSurrogate) {
    if (objective.dim != 0 && objective.dim != 5) {
      throw std::invalid_argument("lora_surrogate is 5-dimensional, dim " +
                                  std::to_string(objective.dim) + " given");
    }
    return BuiltinDescription{seed_lora_search_space(), Direction::kMaximize};
  }
  const auto function = make_test_function(objective.function, objective.dim);
  return BuiltinDescription{test_function_space(*function), Direction::kMinimize};
}

SearchSpace test_function_space(const TestFunction& function) {
  std::vector<Parameter> parameters;
  const auto domain = function.domain();
  const auto kinds = function.axis_kinds();
  for (std::size_t i = 0; i < domain.size(); ++i) {
    Parameter p;
    p.name = "x" + std::to_string(i + 1);
    p.low = domain[i].low;
    p.high = domain[i].high;
    switch (kinds[i]) {
      case AxisKind::kContinuous:
        p.type = ParamType::kFloat;
        break;
      case AxisKind::kInteger:
        p.type = ParamType::kInt;
        break;
      case AxisKind::kCategorical:
        p.type = ParamType::kCategorical;
        for (auto k = std::llround(domain[i].low); k <= std::llround(domain[i].high); ++k) {
          p.choices.push_back(std::to_string(k));
        }
        break;
    }
    parameters.push_back(p);
  }
  return SearchSpace(std::move(parameters));
}

std::string test_function_parameter_mismatch(const TestFunction& function, int index,
                                             const Parameter& parameter) {
  const auto u = static_cast<std::size_t>(index);
  const Bounds bounds = function.domain().at(u);
  switch (function.axis_kinds().at(u)) {
    case AxisKind::kContinuous:
      if (parameter.type == ParamType::kCategorical) {
        return fmt::format("must be numeric: coordinate {} of {} is continuous", index + 1,
                           function.name());
      }
      return "";
    case AxisKind::kInteger:
      if (parameter.type != ParamType::kInt) {
        return fmt::format("must be an int: coordinate {} of {} takes integers", index + 1,
                           function.name());
      }
      return "";
    case AxisKind::kCategorical: {
      const auto count = std::llround(bounds.high - bounds.low) + 1;
      if (parameter.type != ParamType::kCategorical || parameter.cardinality() != count) {
        return fmt::format("must be a categorical of {} choices: coordinate {} of {} is a category",
                           count, index + 1, function.name());
      }
      return "";
    }
  }
  return "";
}

std::string test_function_space_mismatch(const TestFunction& function, const SearchSpace& space) {
  if (space.dim() != function.dim()) {
    return fmt::format("{} takes {} parameters, the search space has {}", function.name(),
                       function.dim(), space.dim());
  }
  for (int i = 0; i < space.dim(); ++i) {
    const std::string why = test_function_parameter_mismatch(function, i, space.parameter(i));
    if (!why.empty()) return space.parameter(i).name + " " + why;
  }
  return "";
}

std::vector<double> test_function_coordinates(const TestFunction& function,
                                              const SearchSpace& space,
                                              const std::vector<ParamValue>& values) {
  const auto domain = function.domain();
  std::vector<double> x;
  x.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (const auto* label = std::get_if<std::string>(&values[i])) {
      const auto& choices = space.parameter(static_cast<int>(i)).choices;
      const auto at = std::find(choices.begin(), choices.end(), *label);
      if (at == choices.end()) throw std::invalid_argument("unknown category " + *label);
      x.push_back(domain[i].low + static_cast<double>(at - choices.begin()));
    } else {
      x.push_back(numeric_value(values[i]));
    }
  }
  return x;
}

double simulated_cost_seconds(const CostModel& cost, const SearchSpace& space,
                              const std::vector<ParamValue>& values) {
  double seconds = cost.base_seconds;
  if (!cost.parameter.empty() && cost.slope_seconds != 0.0) {
    const int index = space.index_of(cost.parameter);
    if (index < 0) throw std::invalid_argument("cost parameter " + cost.parameter + " unknown");
    seconds += cost.slope_seconds * numeric_value(values.at(static_cast<std::size_t>(index)));
  }
  return std::max(seconds, 0.0);
}

BuiltinEvaluator::BuiltinEvaluator(const BuiltinObjective& objective, SearchSpace space,
                                   std::uint64_t seed)
    : objective_(objective), space_(std::move(space)), seed_(seed) {
  if (objective.function == kLoraSurrogate) {
    const SearchSpace expected = seed_lora_search_space();
    for (int i = 0; i < expected.dim(); ++i) {
      if (space_.dim() != expected.dim() ||
          space_.parameter(i).name != expected.parameter(i).name) {
        throw std::invalid_argument(
            "lora_surrogate needs the search space of the 150 recorded "
            "Llama-3.2-3B runs (learning_rate, lora_r, lora_alpha, "
            "lora_dropout, weight_decay)");
      }
    }
    const auto metric = parse_lora_metric(objective.metric);
    if (!metric) {
      throw std::invalid_argument("lora_surrogate's metric must be acc_norm or acc, got '" +
                                  objective.metric + "'");
    }
    metric_ = *metric;
    LoraSurrogate::instance();  // fit now, not during the first evaluation
    return;
  }
  function_ = make_test_function(objective.function, objective.dim);
  if (const std::string why = test_function_space_mismatch(*function_, space_); !why.empty()) {
    throw std::invalid_argument(why);
  }
}

EvaluationOutcome BuiltinEvaluator::evaluate(const EvaluateMessage& request) {
  if (!function_) {
    const LoraSurrogate::Estimate estimate = LoraSurrogate::instance().predict(request.params);
    const double seconds = estimate.minutes / 60.0 * objective_.time_scale +
                           simulated_cost_seconds(objective_.cost, space_, request.params);
    if (seconds > 0.0 && !sleep_unless_cancelled(seconds)) {
      return EvaluationOutcome::error("cancelled by rank 0");
    }
    const double clean = estimate.hellaswag(metric_);
    double score = clean;
    if (objective_.noise_sd > 0.0) {
      std::mt19937_64 rng(mix(seed_ ^ mix(static_cast<std::uint64_t>(request.trial_id))));
      score += std::normal_distribution<double>(0.0, objective_.noise_sd)(rng);
    }
    EvaluationOutcome outcome = EvaluationOutcome::ok(score);
    outcome.metrics["hellaswag_acc"] = estimate.hellaswag_acc;
    outcome.metrics["hellaswag_acc_norm"] = estimate.hellaswag_acc_norm;
    outcome.metrics["mmlu_acc"] = estimate.mmlu_acc;
    outcome.metrics["train_minutes"] = estimate.minutes;
    outcome.metrics["noiseless"] = clean;
    if (seconds > 0.0) outcome.metrics["simulated_seconds"] = seconds;
    return outcome;
  }
  const std::vector<double> x = test_function_coordinates(*function_, space_, request.params);

  const double seconds = simulated_cost_seconds(objective_.cost, space_, request.params);
  if (seconds > 0.0 && !sleep_unless_cancelled(seconds)) {
    return EvaluationOutcome::error("cancelled by rank 0");
  }

  const double clean = function_->evaluate(x);
  double score = clean;
  if (objective_.noise_sd > 0.0) {
    std::mt19937_64 rng(mix(seed_ ^ mix(static_cast<std::uint64_t>(request.trial_id))));
    score += std::normal_distribution<double>(0.0, objective_.noise_sd)(rng);
  }
  if (!std::isfinite(score)) return EvaluationOutcome::failed("score is not finite");
  EvaluationOutcome outcome = EvaluationOutcome::ok(score);
  outcome.metrics["noiseless"] = clean;
  if (seconds > 0.0) outcome.metrics["simulated_seconds"] = seconds;
  return outcome;
}

}  // namespace lorahpo

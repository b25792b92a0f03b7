#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "worker/evaluator.h"
#include "worker/lora_surrogate.h"
#include "worker/test_function.h"

namespace lorahpo {

/// The search space a builtin function brings when the config gives none, and the direction
/// its score is optimized in.
struct BuiltinDescription {
  SearchSpace space;
  Direction direction = Direction::kMinimize;
};

/// The search space of a test function: a float per continuous coordinate, an int per integer
/// one, a categorical with the labels "0" .. "n-1" per categorical one; named x1 .. xd.
SearchSpace test_function_space(const TestFunction& function);

/// The function's coordinates of user values of `space`: numbers as they are, a category as the
/// index of its label among the parameter's choices. `space` must fit `function`
/// (test_function_space_mismatch empty: BuiltinEvaluator checks it once, when it is made, not at
/// every evaluation); an unknown label throws std::invalid_argument.
std::vector<double> test_function_coordinates(const TestFunction& function,
                                              const SearchSpace& space,
                                              const std::vector<ParamValue>& values);

/// Why `parameter` cannot feed coordinate `index` of `function` (a category for a continuous
/// coordinate, a number or the wrong count of choices for a categorical one, anything but an int
/// for an integer one), or an empty string when it can.
std::string test_function_parameter_mismatch(const TestFunction& function, int index,
                                             const Parameter& parameter);

/// Why `space` cannot feed `function` (wrong size, or the first parameter that cannot, named),
/// or an empty string when it can.
std::string test_function_space_mismatch(const TestFunction& function, const SearchSpace& space);

/// Describes the named builtin. Throws std::invalid_argument for an unknown name or dim.
BuiltinDescription describe_builtin(const BuiltinObjective& objective);

/// Seconds the cost model charges for these values (0 without a cost model).
double simulated_cost_seconds(const CostModel& cost, const SearchSpace& space,
                              const std::vector<ParamValue>& values);

/// Name of the built-in objective fitted to the 150 real Llama-3.2-3B runs (maximized).
inline constexpr const char* kLoraSurrogate = "lora_surrogate";

/// Evaluates a builtin function in process: f(x) plus optional Gaussian noise, after sleeping
/// for the simulated cost. lora_surrogate reports the HellaSwag score of objective.metric (acc_norm
/// by default, or acc) as the score, and HellaSwag acc and acc_norm, MMLU acc, the training minutes
/// of a real run and the noiseless score as metrics. The noise of trial i is drawn from a
/// generator seeded by (campaign seed, i), so a campaign is reproducible whatever worker evaluates
/// which trial.
class BuiltinEvaluator final : public Evaluator {
 public:
  BuiltinEvaluator(const BuiltinObjective& objective, SearchSpace space, std::uint64_t seed);
  EvaluationOutcome evaluate(const EvaluateMessage& request) override;

 private:
  BuiltinObjective objective_;
  SearchSpace space_;
  std::uint64_t seed_;
  std::unique_ptr<TestFunction> function_;    ///< null for lora_surrogate
  LoraMetric metric_ = LoraMetric::kAccNorm;  ///< lora_surrogate's score
};

}  // namespace lorahpo

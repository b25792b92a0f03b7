#include "bench/bench_function.h"

#include <stdexcept>

#include "common/search_space.h"
#include "worker/builtin_objective.h"
#include "worker/lora_runs.h"
#include "worker/lora_surrogate.h"

namespace lorahpo::bench {
namespace {

class NegatedLoraSurrogate final : public TestFunction {
 public:
  std::string name() const override { return kLoraSurrogate; }
  int dim() const override { return 5; }
  /// The optimizer's own ranges (exponents for the pow10 parameters), as describe_builtin's space.
  std::vector<Bounds> domain() const override {
    std::vector<Bounds> bounds;
    for (const Parameter& p : space_.parameters()) bounds.push_back({p.low, p.high});
    return bounds;
  }
  /// x are coordinates of domain() (exponents for the pow10 parameters); they go through the
  /// search space like any optimizer's point, so integers fall into their equal-width bins.
  double evaluate(const std::vector<double>& x) const override {
    if (x.size() != 5) throw std::invalid_argument("lora_surrogate takes 5 coordinates");
    std::vector<double> unit(5);
    for (std::size_t i = 0; i < 5; ++i) {
      const Parameter& p = space_.parameter(static_cast<int>(i));
      unit[i] = (x[i] - p.low) / (p.high - p.low);
    }
    return -LoraSurrogate::instance().predict(space_.to_user(unit)).hellaswag_acc;
  }
  KnownOptimum optimum() const override {
    const auto& runs = lora_runs();
    const LoraRun* best = &runs.front();
    for (const LoraRun& run : runs) {
      if (run.hellaswag_acc > best->hellaswag_acc) best = &run;
    }
    std::vector<double> argmin;
    const std::vector<double> unit = space_.to_unit(lora_run_values(*best));
    for (std::size_t i = 0; i < unit.size(); ++i) {
      const Parameter& p = space_.parameter(static_cast<int>(i));
      argmin.push_back(p.low + unit[i] * (p.high - p.low));
    }
    return {argmin, -best->hellaswag_acc};
  }

 private:
  SearchSpace space_ = seed_lora_search_space();
};

}  // namespace

std::unique_ptr<TestFunction> make_bench_function(const std::string& name, int dim) {
  if (name == kLoraSurrogate) {
    if (dim != 0 && dim != 5) throw std::invalid_argument("lora_surrogate is 5-dimensional");
    return std::make_unique<NegatedLoraSurrogate>();
  }
  return make_test_function(name, dim);
}

}  // namespace lorahpo::bench

#include "bench/bench_function.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <utility>

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
    return -LoraSurrogate::instance().predict(space_.to_user(unit)).hellaswag_acc_norm;
  }
  KnownOptimum optimum() const override {
    const auto& runs = lora_runs();
    const LoraRun* best = &runs.front();
    for (const LoraRun& run : runs) {
      if (run.hellaswag_acc_norm > best->hellaswag_acc_norm) best = &run;
    }
    std::vector<double> argmin;
    const std::vector<double> unit = space_.to_unit(lora_run_values(*best));
    for (std::size_t i = 0; i < unit.size(); ++i) {
      const Parameter& p = space_.parameter(static_cast<int>(i));
      argmin.push_back(p.low + unit[i] * (p.high - p.low));
    }
    return {argmin, -best->hellaswag_acc_norm};
  }

 private:
  SearchSpace space_ = seed_lora_search_space();
};

class ShiftedFunction final : public TestFunction {
 public:
  ShiftedFunction(std::unique_ptr<TestFunction> base, DomainShift shift)
      : base_(std::move(base)), shift_(std::move(shift)) {
    for (std::size_t i = 0; i < base_->domain().size(); ++i) {
      const Bounds b = base_->domain()[i];
      const double moved = shift_.offset[i] * (b.high - b.low);
      domain_.push_back({b.low + moved, b.high + moved});
    }
  }
  std::string name() const override { return base_->name(); }
  int dim() const override { return base_->dim(); }
  std::vector<Bounds> domain() const override { return domain_; }
  std::vector<AxisKind> axis_kinds() const override { return base_->axis_kinds(); }
  double evaluate(const std::vector<double>& x) const override {
    return base_->evaluate(to_base(x));
  }
  KnownOptimum optimum() const override {
    KnownOptimum optimum = base_->optimum();
    optimum.argmin = from_base(optimum.argmin);
    return optimum;
  }

 private:
  /// A point of the shifted box in the base function's coordinates: mirrored where flipped (the
  /// box itself moved), a shuffled label replaced by the original one.
  std::vector<double> to_base(std::vector<double> x) const {
    for (std::size_t i = 0; i < x.size() && i < domain_.size(); ++i) {
      if (shift_.flip[i]) x[i] = domain_[i].low + domain_[i].high - x[i];
      if (!shift_.permutation[i].empty()) {
        const auto k = static_cast<std::size_t>(std::llround(x[i] - domain_[i].low));
        if (k < shift_.permutation[i].size()) {
          x[i] = domain_[i].low + shift_.permutation[i][k];
        }
      }
    }
    return x;
  }
  /// The inverse of to_base: mirroring is its own inverse, a label goes to its shuffled place.
  std::vector<double> from_base(std::vector<double> x) const {
    for (std::size_t i = 0; i < x.size() && i < domain_.size(); ++i) {
      if (shift_.flip[i]) x[i] = domain_[i].low + domain_[i].high - x[i];
      const std::vector<int>& order = shift_.permutation[i];
      if (!order.empty()) {
        const auto original = static_cast<int>(std::llround(x[i] - domain_[i].low));
        const auto at = std::find(order.begin(), order.end(), original);
        x[i] = domain_[i].low + static_cast<double>(at - order.begin());
      }
    }
    return x;
  }

  std::unique_ptr<TestFunction> base_;
  DomainShift shift_;
  std::vector<Bounds> domain_;
};

/// FNV-1a (64 bit) of the label: a seed component that is the same on every toolchain, unlike
/// std::hash.
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

/// A double uniform on [0, 1) from the top 53 bits of one draw.
double unit_draw(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

DomainShift draw_domain_shift(const TestFunction& function, const std::string& label,
                              std::uint64_t seed) {
  // The seed and the label are mixed through seed_seq so that seeds 1, 2, 3 ... of one function
  // and one seed of two functions give unrelated streams.
  const std::uint64_t h = fnv1a(label);
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(h), static_cast<std::uint32_t>(h >> 32)};
  std::mt19937_64 rng(seq);
  const std::vector<Bounds> domain = function.domain();
  const std::vector<AxisKind> kinds = function.axis_kinds();
  const std::vector<double> argmin = function.optimum().argmin;
  DomainShift shift;
  shift.permutation.resize(domain.size());
  for (std::size_t i = 0; i < domain.size(); ++i) {
    if (kinds[i] == AxisKind::kCategorical) {
      // Fisher-Yates with the same hand-made draws: labels have no order to move along.
      const auto n = static_cast<int>(std::llround(domain[i].high - domain[i].low)) + 1;
      std::vector<int>& order = shift.permutation[i];
      for (int k = 0; k < n; ++k) order.push_back(k);
      for (int k = n - 1; k > 0; --k) {
        const auto j = static_cast<int>(unit_draw(rng) * (k + 1));
        std::swap(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(j)]);
      }
      shift.flip.push_back(false);
      shift.offset.push_back(0.0);
      continue;
    }
    shift.flip.push_back((rng() >> 63) == 1);
    // The minimizer's position as a fraction of the width; moving the box by s puts it at
    // u - s, which must stay in [margin, 1 - margin].
    const double u = (argmin[i] - domain[i].low) / (domain[i].high - domain[i].low);
    constexpr int kAttempts = 10000;
    double s = 0.0;
    int attempt = 0;
    for (; attempt < kAttempts; ++attempt) {
      s = (2.0 * unit_draw(rng) - 1.0) * kMaxShift;
      if (kinds[i] == AxisKind::kInteger) {
        const double width = domain[i].high - domain[i].low;
        s = std::round(s * width) / width;
      }
      if (u - s >= kOptimumMargin && u - s <= 1.0 - kOptimumMargin) break;
    }
    if (attempt == kAttempts) {
      throw std::invalid_argument(label + ": no admissible domain shift on axis " +
                                  std::to_string(i) + " (minimizer too close to a face)");
    }
    shift.offset.push_back(s);
  }
  return shift;
}

std::unique_ptr<TestFunction> shift_domain(std::unique_ptr<TestFunction> function,
                                           DomainShift shift) {
  const std::size_t d = function->domain().size();
  if (shift.permutation.empty()) shift.permutation.resize(d);
  if (shift.offset.size() != d || shift.flip.size() != d || shift.permutation.size() != d) {
    throw std::invalid_argument("domain shift of " + function->name() + " has the wrong size");
  }
  return std::make_unique<ShiftedFunction>(std::move(function), std::move(shift));
}

std::unique_ptr<TestFunction> make_bench_function(const std::string& name, int dim) {
  if (name == kLoraSurrogate) {
    if (dim != 0 && dim != 5) throw std::invalid_argument("lora_surrogate is 5-dimensional");
    return std::make_unique<NegatedLoraSurrogate>();
  }
  return make_test_function(name, dim);
}

}  // namespace lorahpo::bench

#include "worker/test_function.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <stdexcept>
#include <utility>

// Every formula, domain and minimum below is the one given by Surjanovic & Bingham, Virtual
// Library of Simulation Experiments (https://www.sfu.ca/~ssurjano), except where a comment says
// otherwise; the original paper of each function is named in its class comment.

namespace lorahpo {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kE = std::numbers::e;
/// Upper limit for variable dimensions; the campaign config accepts the same range.
constexpr int kMaxDim = 1000;

/// Ackley's formula (Ackley 1987), shared by the continuous and the mixed function:
/// -a exp(-b sqrt(mean x_i^2)) - exp(mean cos(c x_i)) + a + e, a = 20, b = 0.2, c = 2 pi.
double ackley(const std::vector<double>& x) {
  constexpr double kA = 20.0, kB = 0.2, kC = 2.0 * kPi;
  double squares = 0.0, cosines = 0.0;
  for (const double v : x) {
    squares += v * v;
    cosines += std::cos(kC * v);
  }
  const double n = static_cast<double>(x.size());
  return -kA * std::exp(-kB * std::sqrt(squares / n)) - std::exp(cosines / n) + kA + kE;
}

/// Rosenbrock's sum (Rosenbrock 1960): sum_{i<d} 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2.
double rosenbrock(const std::vector<double>& x) {
  double sum = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i];
    const double b = x[i] - 1.0;
    sum += 100.0 * a * a + b * b;
  }
  return sum;
}

/// Shared plumbing: name, dimension, a box domain and the size check of evaluate(), so each
/// function only writes its formula.
class BoxFunction : public TestFunction {
 public:
  BoxFunction(std::string name, int dim, Bounds bounds)
      : name_(std::move(name)), dim_(dim), domain_(static_cast<std::size_t>(dim), bounds) {}
  BoxFunction(std::string name, std::vector<Bounds> domain)
      : name_(std::move(name)), dim_(static_cast<int>(domain.size())), domain_(std::move(domain)) {}

  std::string name() const override { return name_; }
  int dim() const override { return dim_; }
  std::vector<Bounds> domain() const override { return domain_; }

  double evaluate(const std::vector<double>& x) const final {
    if (x.size() != static_cast<std::size_t>(dim_)) {
      throw std::invalid_argument(name_ + " takes " + std::to_string(dim_) + " coordinates, got " +
                                  std::to_string(x.size()));
    }
    return f(x);
  }

 protected:
  /// The formula itself; x has the right size.
  virtual double f(const std::vector<double>& x) const = 0;
  std::vector<double> repeated(double v) const {
    return std::vector<double>(static_cast<std::size_t>(dim_), v);
  }

 private:
  std::string name_;
  int dim_;
  std::vector<Bounds> domain_;
};

/// Branin (-Hoo) function (Branin 1972; Dixon & Szego 1978, "The global optimisation problem:
/// an introduction"): a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s, with a = 1,
/// b = 5.1 / (4 pi^2), c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi). Three global minimizers:
/// (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
class Branin final : public BoxFunction {
 public:
  Branin() : BoxFunction("branin", {{-5.0, 10.0}, {0.0, 15.0}}) {}
  // At a minimizer the square vanishes and cos(x1) = -1, so the minimum is exactly
  // s t = 5 / (4 pi) = 0.397887357729738...
  KnownOptimum optimum() const override { return {{-kPi, 12.275}, 5.0 / (4.0 * kPi)}; }

 protected:
  double f(const std::vector<double>& x) const override {
    constexpr double kA = 1.0, kB = 5.1 / (4.0 * kPi * kPi), kC = 5.0 / kPi, kR = 6.0, kS = 10.0,
                     kT = 1.0 / (8.0 * kPi);
    const double q = x[1] - kB * x[0] * x[0] + kC * x[0] - kR;
    return kA * q * q + kS * (1.0 - kT) * std::cos(x[0]) + kS;
  }
};

/// Hartmann 6-d function (Hartman 1973, "Some experiments in global optimization"; constants
/// from Dixon & Szego 1978): -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2) on [0, 1]^6.
class Hartmann6 final : public BoxFunction {
 public:
  Hartmann6() : BoxFunction("hartmann6", 6, {0.0, 1.0}) {}
  // The published 8-digit minimizer; f there is within 3e-15 of the true minimum.
  KnownOptimum optimum() const override {
    return {{0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054},
            -3.32236801141551};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
    static constexpr double kA[4][6] = {{10.0, 3.0, 17.0, 3.5, 1.7, 8.0},
                                        {0.05, 10.0, 17.0, 0.1, 8.0, 14.0},
                                        {3.0, 3.5, 1.7, 10.0, 17.0, 8.0},
                                        {17.0, 8.0, 0.05, 10.0, 0.1, 14.0}};
    static constexpr double kP[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                        {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                        {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                        {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double sum = 0.0;
    for (std::size_t i = 0; i < 4; ++i) {
      double inner = 0.0;
      for (std::size_t j = 0; j < 6; ++j) {
        const double d = x[j] - kP[i][j];
        inner += kA[i][j] * d * d;
      }
      sum += kAlpha[i] * std::exp(-inner);
    }
    return -sum;
  }
};

/// Ackley function (Ackley 1987, "A connectionist machine for genetic hillclimbing"):
/// -a exp(-b sqrt(mean x_i^2)) - exp(mean cos(c x_i)) + a + e, with a = 20, b = 0.2, c = 2 pi.
/// The usual domain [-32.768, 32.768]^d is shifted to [-10, 22.768]^d (same width): with the
/// minimizer 0 at the domain centre, partition methods that sample the centre first (DIRECT,
/// SOO) would find the optimum with their very first point and tell us nothing.
class Ackley final : public BoxFunction {
 public:
  explicit Ackley(int dim) : BoxFunction("ackley", dim, {-10.0, 22.768}) {}
  KnownOptimum optimum() const override { return {repeated(0.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override { return ackley(x); }
};

/// Rosenbrock function (Rosenbrock 1960, "An automatic method for finding the greatest or least
/// value of a function"): sum_{i<d} 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2 on [-5, 10]^d.
class Rosenbrock final : public BoxFunction {
 public:
  explicit Rosenbrock(int dim) : BoxFunction("rosenbrock", dim, {-5.0, 10.0}) {}
  KnownOptimum optimum() const override { return {repeated(1.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override { return rosenbrock(x); }
};

/// Levy function (Levy & Montalvo 1985, "The tunneling algorithm for the global minimization
/// of functions"; d-dimensional form of Laguna & Marti 2005), w_i = 1 + (x_i - 1) / 4:
/// sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 [1 + 10 sin^2(pi w_i + 1)]
///   + (w_d - 1)^2 [1 + sin^2(2 pi w_d)], on [-10, 10]^d.
class Levy final : public BoxFunction {
 public:
  explicit Levy(int dim) : BoxFunction("levy", dim, {-10.0, 10.0}) {}
  KnownOptimum optimum() const override { return {repeated(1.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override {
    const std::size_t d = x.size();
    const auto w = [&x](std::size_t i) { return 1.0 + (x[i] - 1.0) / 4.0; };
    const double s1 = std::sin(kPi * w(0));
    double sum = s1 * s1;
    for (std::size_t i = 0; i + 1 < d; ++i) {
      const double s = std::sin(kPi * w(i) + 1.0);
      sum += (w(i) - 1.0) * (w(i) - 1.0) * (1.0 + 10.0 * s * s);
    }
    const double sd = std::sin(2.0 * kPi * w(d - 1));
    sum += (w(d - 1) - 1.0) * (w(d - 1) - 1.0) * (1.0 + sd * sd);
    return sum;
  }
};

/// Styblinski-Tang function (Styblinski & Tang 1990, "Experiments in nonconvex optimization:
/// stochastic approximation with function smoothing and simulated annealing"):
/// 0.5 sum (x_i^4 - 16 x_i^2 + 5 x_i) on [-5, 5]^d.
class StyblinskiTang final : public BoxFunction {
 public:
  explicit StyblinskiTang(int dim) : BoxFunction("styblinski_tang", dim, {-5.0, 5.0}) {}
  // Each coordinate sits at the negative root of 4x^3 - 32x + 5 = 0, and the per-coordinate
  // minimum is f1 there; both were computed to 25 digits (mpmath) and rounded to double.
  KnownOptimum optimum() const override {
    constexpr double kRoot = -2.9035340277711770951;
    constexpr double kMinPerCoordinate = -39.166165703771415464;
    return {repeated(kRoot), kMinPerCoordinate * dim()};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    double sum = 0.0;
    for (const double v : x) sum += v * v * v * v - 16.0 * v * v + 5.0 * v;
    return 0.5 * sum;
  }
};

/// Michalewicz function (Michalewicz 1992, "Genetic Algorithms + Data Structures = Evolution
/// Programs"), m = 10: -sum_i sin(x_i) sin^{2m}(i x_i^2 / pi) on [0, pi]^d. Only d = 2, 5 and
/// 10 are supported because only those minima are published (-1.8013, -4.687658, -9.66015).
class Michalewicz final : public BoxFunction {
 public:
  explicit Michalewicz(int dim) : BoxFunction("michalewicz", dim, {0.0, kPi}) {}

  // The function is separable, so coordinate i minimizes -sin(v) sin^20(i v^2 / pi) on its own.
  // These minimizers were found once, offline: a 400001-point grid on [0, pi] for each i, then
  // bisection on the analytic derivative at 50 digits (mpmath). Only x_1 of the d = 2 point is
  // published (2.202905513296628; the term is so flat there that both give the same double).
  // The sums of the terms, computed at 50 digits, match the published minima to all their
  // digits: d = 2: -1.80130341009855, d = 5: -4.687658179, d = 10: -9.66015.
  KnownOptimum optimum() const override {
    static constexpr double kArgmin[10] = {
        2.2029055201726093, 1.5707963267948966, 1.2849915705529244, 1.9230584698663628,
        1.7204697725658413, 1.5707963267948966, 1.4544139713623790, 1.7560865209450264,
        1.6557174168210291, 1.5707963267948966};
    const std::size_t d = static_cast<std::size_t>(dim());
    double value = 0.0;
    if (d == 2) value = -1.8013034100985525;
    if (d == 5) value = -4.6876581790881463;
    if (d == 10) value = -9.6601517156413414;
    return {std::vector<double>(kArgmin, kArgmin + d), value};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    constexpr double kTwiceM = 20.0;
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double s = std::sin(static_cast<double>(i + 1) * x[i] * x[i] / kPi);
      sum -= std::sin(x[i]) * std::pow(s, kTwiceM);
    }
    return sum;
  }
};

/// A box whose first `discrete` coordinates are integers or categories and the rest continuous:
/// the layout of the mixed-variable benchmarks of CoCaBO (Ru et al. 2020) and MVRSM (Bliek et
/// al. 2021), discrete variables first. The discrete coordinates are rounded before the formula,
/// as MVRSM's and Casmopolitan's own code does ("to make sure there is no cheating"), so a
/// relaxed value between two integers is never scored.
class MixedBoxFunction : public BoxFunction {
 public:
  MixedBoxFunction(std::string name, std::vector<Bounds> domain, std::vector<AxisKind> kinds)
      : BoxFunction(std::move(name), std::move(domain)), kinds_(std::move(kinds)) {}
  std::vector<AxisKind> axis_kinds() const override { return kinds_; }

 protected:
  double f(const std::vector<double>& x) const final {
    std::vector<double> rounded = x;
    for (std::size_t i = 0; i < rounded.size(); ++i) {
      if (kinds_[i] != AxisKind::kContinuous) rounded[i] = std::round(rounded[i]);
    }
    return mixed_f(rounded);
  }
  virtual double mixed_f(const std::vector<double>& x) const = 0;

  /// `discrete` coordinates of kind `kind` on `discrete_bounds`, then `dim - discrete`
  /// continuous ones on `continuous_bounds`.
  static std::vector<Bounds> layout(int dim, int discrete, Bounds discrete_bounds,
                                    Bounds continuous_bounds) {
    std::vector<Bounds> domain(static_cast<std::size_t>(dim), continuous_bounds);
    std::fill_n(domain.begin(), discrete, discrete_bounds);
    return domain;
  }
  static std::vector<AxisKind> kinds(int dim, int discrete, AxisKind kind) {
    std::vector<AxisKind> k(static_cast<std::size_t>(dim), AxisKind::kContinuous);
    std::fill_n(k.begin(), discrete, kind);
    return k;
  }

 private:
  std::vector<AxisKind> kinds_;
};

/// Mixed Ackley: the "Ackley-53" of Bliek et al. 2021 (MVRSM, GECCO; lbliek/MVRSM
/// testFunctions/syntheticFunctions.py, dim53Ackley) that Casmopolitan reuses (Wan et al. 2021,
/// ICML; xingchenwan/Casmopolitan mixed_test_func/synthetic.py, Ackley53): d - 3 binary
/// categorical coordinates whose two labels are the values 0 and 1, then 3 continuous ones on
/// [-1, 1]; f is Ackley's formula (a = 20, b = 0.2, c = 2 pi, means over all d coordinates, as
/// the source divides by 53). ackley_mixed53 is that problem; d = 10 and 20 keep its three
/// continuous coordinates and shorten the binary block. Minimum 0 at the origin (label 0
/// everywhere, continuous 0): Ackley is >= 0 on all of R^d, so a shifted box keeps it.
class AckleyMixed final : public MixedBoxFunction {
 public:
  static constexpr int kContinuous = 3;
  explicit AckleyMixed(int dim)
      : MixedBoxFunction("ackley_mixed", layout(dim, dim - kContinuous, {0.0, 1.0}, {-1.0, 1.0}),
                         kinds(dim, dim - kContinuous, AxisKind::kCategorical)) {}
  KnownOptimum optimum() const override { return {repeated(0.0), 0.0}; }

 protected:
  double mixed_f(const std::vector<double>& x) const override { return ackley(x); }
};

/// Mixed Rosenbrock: the "dim10Rosenbrock" of Bliek et al. 2021 (lbliek/MVRSM
/// testFunctions/syntheticFunctions.py and demo.py): 3 integer coordinates taking -2 .. 2, then 7
/// continuous ones on [-2, 2]; f = Rosenbrock(x) / 300 (the source's scaling). For another d the
/// integer share stays 3 in 10: floor(3 d / 10) integers (d = 20: 6 of them). CoCaBO's runner
/// passes those coordinates as 5 categories holding the values -2 .. 2; MVRSM's own runner as
/// integers, which we follow: the values are ordered and the formula uses them as numbers.
/// Minimum 0 at (1, ..., 1): Rosenbrock is a sum of squares, >= 0 on all of R^d.
class RosenbrockMixed final : public MixedBoxFunction {
 public:
  explicit RosenbrockMixed(int dim)
      : MixedBoxFunction("rosenbrock_mixed", layout(dim, integers(dim), {-2.0, 2.0}, {-2.0, 2.0}),
                         kinds(dim, integers(dim), AxisKind::kInteger)) {}
  static int integers(int dim) { return 3 * dim / 10; }
  KnownOptimum optimum() const override { return {repeated(1.0), 0.0}; }

 protected:
  double mixed_f(const std::vector<double>& x) const override { return rosenbrock(x) / 300.0; }
};

/// One row of the registry: fixed-dimension functions have default_dim == fixed_dim.
struct Entry {
  const char* name;
  bool variable_dim;
  int default_dim;
  int min_dim;
};

constexpr Entry kEntries[] = {
    {"branin", false, 2, 2},
    {"hartmann6", false, 6, 6},
    {"ackley", true, 5, 1},
    {"rosenbrock", true, 5, 2},
    {"levy", true, 5, 1},
    {"styblinski_tang", true, 5, 1},
    {"michalewicz", true, 5, 2},
    // Mixed spaces: at least one discrete and one continuous coordinate.
    {"ackley_mixed", true, 10, AckleyMixed::kContinuous + 1},
    {"rosenbrock_mixed", true, 10, 4},
};

const Entry* find_entry(const std::string& name) {
  for (const Entry& e : kEntries) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> test_function_names() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) names.emplace_back(e.name);
  return names;
}

bool test_function_has_variable_dim(const std::string& name) {
  const Entry* entry = find_entry(name);
  return entry != nullptr && entry->variable_dim;
}

std::unique_ptr<TestFunction> make_test_function(const std::string& name, int dim) {
  const Entry* entry = find_entry(name);
  if (entry == nullptr) {
    std::string known;
    for (const Entry& e : kEntries) known += (known.empty() ? "" : ", ") + std::string(e.name);
    throw std::invalid_argument("unknown test function '" + name + "' (known: " + known + ")");
  }
  const int d = dim == 0 ? entry->default_dim : dim;
  if (!entry->variable_dim) {
    if (d != entry->default_dim) {
      throw std::invalid_argument(name + " is " + std::to_string(entry->default_dim) +
                                  "-dimensional, dim " + std::to_string(d) + " given");
    }
    if (name == "branin") return std::make_unique<Branin>();
    return std::make_unique<Hartmann6>();
  }
  if (d < entry->min_dim || d > kMaxDim) {
    throw std::invalid_argument(name + " needs dim in [" + std::to_string(entry->min_dim) + ", " +
                                std::to_string(kMaxDim) + "], got " + std::to_string(d));
  }
  if (name == "michalewicz" && d != 2 && d != 5 && d != 10) {
    throw std::invalid_argument(
        "michalewicz supports dim 2, 5 or 10 (the only published minima), got " +
        std::to_string(d));
  }
  if (name == "ackley") return std::make_unique<Ackley>(d);
  if (name == "rosenbrock") return std::make_unique<Rosenbrock>(d);
  if (name == "levy") return std::make_unique<Levy>(d);
  if (name == "styblinski_tang") return std::make_unique<StyblinskiTang>(d);
  if (name == "ackley_mixed") return std::make_unique<AckleyMixed>(d);
  if (name == "rosenbrock_mixed") return std::make_unique<RosenbrockMixed>(d);
  return std::make_unique<Michalewicz>(d);
}

}  // namespace lorahpo

#include "worker/test_function.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

namespace lorahpo {
namespace {

constexpr double kPi = std::numbers::pi;

/// Shared plumbing: name, dimension, a box domain and the size check of evaluate().
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
    if (static_cast<int>(x.size()) != dim_) {
      throw std::invalid_argument(
          fmt::format("{} takes {} coordinates, got {}", name_, dim_, x.size()));
    }
    return f(x);
  }

 protected:
  virtual double f(const std::vector<double>& x) const = 0;
  std::vector<double> repeated(double v) const { return std::vector<double>(static_cast<std::size_t>(dim_), v); }

 private:
  std::string name_;
  int dim_;
  std::vector<Bounds> domain_;
};

/// Branin-Hoo (Dixon & Szego 1978): a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s.
class Branin final : public BoxFunction {
 public:
  Branin() : BoxFunction("branin", {{-5.0, 10.0}, {0.0, 15.0}}) {}
  KnownOptimum optimum() const override { return {{-kPi, 12.275}, 0.397887357729738}; }

 protected:
  double f(const std::vector<double>& x) const override {
    const double b = 5.1 / (4.0 * kPi * kPi), c = 5.0 / kPi, t = 1.0 / (8.0 * kPi);
    const double q = x[1] - b * x[0] * x[0] + c * x[0] - 6.0;
    return q * q + 10.0 * (1.0 - t) * std::cos(x[0]) + 10.0;
  }
};

/// Hartmann 6-d (Hartmann 1972): -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2) on [0,1]^6.
class Hartmann6 final : public BoxFunction {
 public:
  Hartmann6() : BoxFunction("hartmann6", 6, {0.0, 1.0}) {}
  KnownOptimum optimum() const override {
    return {{0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054},
            -3.32236801141551};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
    static constexpr double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                        {0.05, 10, 17, 0.1, 8, 14},
                                        {3, 3.5, 1.7, 10, 17, 8},
                                        {17, 8, 0.05, 10, 0.1, 14}};
    static constexpr double kP[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                        {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                        {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                        {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double sum = 0.0;
    for (int i = 0; i < 4; ++i) {
      double inner = 0.0;
      for (int j = 0; j < 6; ++j) {
        const double d = x[static_cast<std::size_t>(j)] - kP[i][j];
        inner += kA[i][j] * d * d;
      }
      sum += kAlpha[i] * std::exp(-inner);
    }
    return -sum;
  }
};

/// Ackley (Ackley 1987), a = 20, b = 0.2, c = 2 pi. The usual domain [-32.768, 32.768]^d is
/// shifted to [-10, 22.768]^d: with the minimizer 0 at the centre, partition methods that
/// evaluate the centre first (SOO, DIRECT) would find it with their first point.
class Ackley final : public BoxFunction {
 public:
  explicit Ackley(int dim) : BoxFunction("ackley", dim, {-10.0, 22.768}) {}
  KnownOptimum optimum() const override { return {repeated(0.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override {
    double squares = 0.0, cosines = 0.0;
    for (double v : x) {
      squares += v * v;
      cosines += std::cos(2.0 * kPi * v);
    }
    const double n = static_cast<double>(x.size());
    return -20.0 * std::exp(-0.2 * std::sqrt(squares / n)) - std::exp(cosines / n) + 20.0 +
           std::exp(1.0);
  }
};

/// Rosenbrock (1960): sum 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2 on [-5, 10]^d.
class Rosenbrock final : public BoxFunction {
 public:
  explicit Rosenbrock(int dim) : BoxFunction("rosenbrock", dim, {-5.0, 10.0}) {}
  KnownOptimum optimum() const override { return {repeated(1.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override {
    double sum = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      const double a = x[i + 1] - x[i] * x[i], b = x[i] - 1.0;
      sum += 100.0 * a * a + b * b;
    }
    return sum;
  }
};

/// Levy (Laguna & Marti 2005 form), w_i = 1 + (x_i - 1) / 4, on [-10, 10]^d.
class Levy final : public BoxFunction {
 public:
  explicit Levy(int dim) : BoxFunction("levy", dim, {-10.0, 10.0}) {}
  KnownOptimum optimum() const override { return {repeated(1.0), 0.0}; }

 protected:
  double f(const std::vector<double>& x) const override {
    const auto w = [&](std::size_t i) { return 1.0 + (x[i] - 1.0) / 4.0; };
    const std::size_t d = x.size();
    const double s0 = std::sin(kPi * w(0));
    double sum = s0 * s0;
    for (std::size_t i = 0; i + 1 < d; ++i) {
      const double s = std::sin(kPi * w(i) + 1.0);
      sum += (w(i) - 1.0) * (w(i) - 1.0) * (1.0 + 10.0 * s * s);
    }
    const double sd = std::sin(2.0 * kPi * w(d - 1));
    sum += (w(d - 1) - 1.0) * (w(d - 1) - 1.0) * (1.0 + sd * sd);
    return sum;
  }
};

/// Styblinski-Tang (1990): 0.5 sum (x^4 - 16 x^2 + 5 x) on [-5, 5]^d.
class StyblinskiTang final : public BoxFunction {
 public:
  explicit StyblinskiTang(int dim) : BoxFunction("styblinski_tang", dim, {-5.0, 5.0}) {}
  KnownOptimum optimum() const override {
    // The minimizer is the negative root of 4x^3 - 32x + 5 = 0, refined by Newton's method.
    double x = -2.9;
    for (int i = 0; i < 50; ++i) x -= (4 * x * x * x - 32 * x + 5) / (12 * x * x - 32);
    const auto argmin = repeated(x);
    return {argmin, f(argmin)};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    double sum = 0.0;
    for (double v : x) sum += v * v * v * v - 16.0 * v * v + 5.0 * v;
    return 0.5 * sum;
  }
};

/// Michalewicz (1992), m = 10: -sum sin(x_i) sin^{2m}(i x_i^2 / pi) on [0, pi]^d. Only d = 2, 5,
/// 10 have published minima (-1.8013, -4.687658, -9.66015).
class Michalewicz final : public BoxFunction {
 public:
  explicit Michalewicz(int dim) : BoxFunction("michalewicz", dim, {0.0, kPi}) {}
  KnownOptimum optimum() const override {
    // The function is separable: each coordinate's term is minimized on its own, by a fine grid
    // followed by golden-section refinement around the best grid cell.
    std::vector<double> argmin;
    for (int i = 1; i <= dim(); ++i) {
      const auto term = [i](double v) { return -std::sin(v) * std::pow(std::sin(i * v * v / kPi), 20); };
      const int kGrid = 200000;
      double best = 0.0, best_v = 0.0;
      for (int k = 0; k <= kGrid; ++k) {
        const double v = kPi * k / kGrid;
        if (term(v) < best) best = term(v), best_v = v;
      }
      double a = std::max(0.0, best_v - kPi / kGrid), b = std::min(kPi, best_v + kPi / kGrid);
      const double g = (std::sqrt(5.0) - 1.0) / 2.0;
      for (int k = 0; k < 100; ++k) {
        const double c = b - g * (b - a), d = a + g * (b - a);
        (term(c) < term(d) ? b : a) = (term(c) < term(d) ? d : c);
      }
      argmin.push_back(0.5 * (a + b));
    }
    return {argmin, f(argmin)};
  }

 protected:
  double f(const std::vector<double>& x) const override {
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      sum -= std::sin(x[i]) * std::pow(std::sin(static_cast<double>(i + 1) * x[i] * x[i] / kPi), 20);
    }
    return sum;
  }
};

struct Entry {
  const char* name;
  int default_dim;   ///< 0: fixed dimension
  int min_dim;
};

constexpr Entry kEntries[] = {{"branin", 0, 2},  {"hartmann6", 0, 6},       {"ackley", 5, 1},
                              {"rosenbrock", 5, 2}, {"levy", 5, 1},         {"styblinski_tang", 5, 1},
                              {"michalewicz", 5, 2}};

}  // namespace

std::vector<std::string> test_function_names() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) names.emplace_back(e.name);
  return names;
}

bool test_function_has_variable_dim(const std::string& name) {
  for (const Entry& e : kEntries) {
    if (name == e.name) return e.default_dim > 0;
  }
  return false;
}

std::unique_ptr<TestFunction> make_test_function(const std::string& name, int dim) {
  const Entry* entry = nullptr;
  for (const Entry& e : kEntries) {
    if (name == e.name) entry = &e;
  }
  if (!entry) {
    std::string known;
    for (const Entry& e : kEntries) known += (known.empty() ? "" : ", ") + std::string(e.name);
    throw std::invalid_argument("unknown builtin function '" + name + "' (known: " + known + ")");
  }
  if (entry->default_dim == 0) {
    if (dim != 0 && dim != entry->min_dim) {
      throw std::invalid_argument(fmt::format("{} is {}-dimensional, dim {} given", name,
                                              entry->min_dim, dim));
    }
    if (name == "branin") return std::make_unique<Branin>();
    return std::make_unique<Hartmann6>();
  }
  const int d = dim == 0 ? entry->default_dim : dim;
  if (d < entry->min_dim || d > 1000) {
    throw std::invalid_argument(fmt::format("{} needs dim in [{}, 1000], got {}", name,
                                            entry->min_dim, d));
  }
  if (name == "michalewicz" && d != 2 && d != 5 && d != 10) {
    throw std::invalid_argument(
        fmt::format("michalewicz supports dim 2, 5 or 10 (published minima), got {}", d));
  }
  if (name == "ackley") return std::make_unique<Ackley>(d);
  if (name == "rosenbrock") return std::make_unique<Rosenbrock>(d);
  if (name == "levy") return std::make_unique<Levy>(d);
  if (name == "styblinski_tang") return std::make_unique<StyblinskiTang>(d);
  return std::make_unique<Michalewicz>(d);
}

}  // namespace lorahpo

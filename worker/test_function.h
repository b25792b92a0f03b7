#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace lorahpo {

/// Closed interval of one coordinate of a test function's domain.
struct Bounds {
  double low;
  double high;
};

/// A global minimizer and the minimum value.
struct KnownOptimum {
  std::vector<double> argmin;
  double value;
};

/// How one coordinate of a test function takes its values (issue 16: mixed spaces). A kInteger
/// coordinate takes the integers of its Bounds; a kCategorical one takes the category indices
/// 0 .. n-1 (its Bounds are {0, n - 1}), which the function treats as labels with no order: a
/// search space gives it a categorical parameter, never an ordered one.
enum class AxisKind { kContinuous, kInteger, kCategorical };

/// A standard global-optimization test function (all are minimized). Formulas, domains and
/// minima follow Surjanovic & Bingham, Virtual Library of Simulation Experiments
/// (https://www.sfu.ca/~ssurjano), so results are comparable with published benchmarks.
class TestFunction {
 public:
  virtual ~TestFunction() = default;
  virtual std::string name() const = 0;
  virtual int dim() const = 0;
  virtual std::vector<Bounds> domain() const = 0;
  /// One kind per coordinate; every coordinate is continuous unless the function says otherwise.
  virtual std::vector<AxisKind> axis_kinds() const {
    return std::vector<AxisKind>(static_cast<std::size_t>(dim()), AxisKind::kContinuous);
  }
  /// f(x); x.size() must equal dim() (checked: throw std::invalid_argument otherwise).
  virtual double evaluate(const std::vector<double>& x) const = 0;
  virtual KnownOptimum optimum() const = 0;
};

/// Names accepted by make_test_function, in a stable order.
std::vector<std::string> test_function_names();

/// True when the function takes a user-chosen dimension.
bool test_function_has_variable_dim(const std::string& name);

/// Builds the named function. dim == 0 means the function's default dimension. Throws
/// std::invalid_argument with a clear message for an unknown name or an unsupported dim
/// (variable dimensions are capped at 1000, like objective.dim in the campaign config).
std::unique_ptr<TestFunction> make_test_function(const std::string& name, int dim = 0);

}  // namespace lorahpo

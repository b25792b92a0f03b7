#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo {

enum class ParamType { kFloat, kInt, kCategorical };
enum class Transform { kNone, kPow10 };

/// A user value: a float, an integer or a category label.
using ParamValue = std::variant<double, std::int64_t, std::string>;

/// One hyperparameter. For kFloat, [low, high] is the optimizer's interval and the user value is
/// x (kNone) or 10^x (kPow10). For kInt, low and high are integers, both included. For
/// kCategorical, `choices` are the labels.
struct Parameter {
  std::string name;
  ParamType type = ParamType::kFloat;
  double low = 0.0;
  double high = 1.0;
  Transform transform = Transform::kNone;
  std::vector<std::string> choices;

  /// Number of distinct values of an int or categorical parameter (0 for a float).
  std::int64_t cardinality() const;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, type, low, high, transform, choices);
  }
};

/// The one place that converts between the optimizer's unit cube and user values (STYLE.md:
/// genotype/phenotype split, as in libcmaes). Every parameter takes one coordinate of [0,1]^d.
///
/// Integers and categories use equal-width bins: with n values, u in [k/n, (k+1)/n) maps to the
/// k-th value, so each value owns exactly 1/n of the cube. Rounding low + u (high - low) instead
/// would give the two end values half a bin each, and truncating it (int()) would give the top
/// value a zero-width bin: both skew the search (the seed's code truncated).
class SearchSpace {
 public:
  SearchSpace() = default;
  explicit SearchSpace(std::vector<Parameter> parameters);

  int dim() const { return static_cast<int>(parameters_.size()); }
  const std::vector<Parameter>& parameters() const { return parameters_; }
  const Parameter& parameter(int i) const { return parameters_.at(static_cast<std::size_t>(i)); }
  /// Index of the named parameter, or -1.
  int index_of(const std::string& name) const;

  /// Unit-cube point to user values. Coordinates outside [0,1] are clamped.
  std::vector<ParamValue> to_user(const std::vector<double>& unit) const;
  /// User values to the unit cube: floats exactly, ints and categories to their bin centre.
  /// Throws std::invalid_argument for a value of the wrong kind or out of range.
  std::vector<double> to_unit(const std::vector<ParamValue>& values) const;
  /// The point the worker really evaluates, back in the cube: ints and categories moved to their
  /// bin centre, floats unchanged (Garrido-Merchan & Hernandez-Lobato 2020 train the GP on it).
  std::vector<double> snap(const std::vector<double>& unit) const;

  /// {"name": value, ...} in parameter order.
  nlohmann::ordered_json to_json(const std::vector<ParamValue>& values) const;
  /// Inverse of to_json (resuming from a journal). Throws std::invalid_argument.
  std::vector<ParamValue> from_json(const nlohmann::json& object) const;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(parameters_);
  }

 private:
  std::vector<Parameter> parameters_;
};

/// Text of a value as it goes into a command line or a CSV cell: shortest round-trip form for
/// floats ("0.0003", "1e-10"), decimal integers, labels as they are.
std::string format_value(const ParamValue& value);
/// The value as a double (categories: not numeric, throws std::invalid_argument).
double numeric_value(const ParamValue& value);

}  // namespace lorahpo

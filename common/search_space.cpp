#include "common/search_space.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace lorahpo {
namespace {

std::int64_t bin_of(double u, std::int64_t n) {
  const double clamped = std::clamp(u, 0.0, 1.0);
  const auto k = static_cast<std::int64_t>(std::floor(clamped * static_cast<double>(n)));
  return std::min(k, n - 1);
}

double bin_centre(std::int64_t k, std::int64_t n) {
  return (static_cast<double>(k) + 0.5) / static_cast<double>(n);
}

}  // namespace

std::int64_t Parameter::cardinality() const {
  switch (type) {
    case ParamType::kInt:
      return static_cast<std::int64_t>(std::llround(high) - std::llround(low)) + 1;
    case ParamType::kCategorical:
      return static_cast<std::int64_t>(choices.size());
    case ParamType::kFloat:
      return 0;
  }
  return 0;
}

SearchSpace::SearchSpace(std::vector<Parameter> parameters) : parameters_(std::move(parameters)) {}

int SearchSpace::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<ParamValue> SearchSpace::to_user(const std::vector<double>& unit) const {
  if (unit.size() != parameters_.size()) {
    throw std::invalid_argument(fmt::format("point has {} coordinates, the search space {}",
                                            unit.size(), parameters_.size()));
  }
  std::vector<ParamValue> values;
  values.reserve(unit.size());
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const Parameter& p = parameters_[i];
    const double u = std::clamp(unit[i], 0.0, 1.0);
    switch (p.type) {
      case ParamType::kFloat: {
        const double x = p.low + u * (p.high - p.low);
        values.emplace_back(p.transform == Transform::kPow10 ? std::pow(10.0, x) : x);
        break;
      }
      case ParamType::kInt:
        values.emplace_back(std::llround(p.low) + bin_of(u, p.cardinality()));
        break;
      case ParamType::kCategorical:
        values.emplace_back(p.choices[static_cast<std::size_t>(bin_of(u, p.cardinality()))]);
        break;
    }
  }
  return values;
}

std::vector<double> SearchSpace::to_unit(const std::vector<ParamValue>& values) const {
  if (values.size() != parameters_.size()) {
    throw std::invalid_argument(
        fmt::format("{} values given, the search space has {}", values.size(), parameters_.size()));
  }
  std::vector<double> unit;
  unit.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Parameter& p = parameters_[i];
    switch (p.type) {
      case ParamType::kFloat: {
        double x = numeric_value(values[i]);
        if (p.transform == Transform::kPow10) {
          if (!(x > 0.0)) throw std::invalid_argument(p.name + " must be > 0 (a power of ten)");
          x = std::log10(x);
        }
        const double span = p.high - p.low;
        const double u = span > 0.0 ? (x - p.low) / span : 0.5;
        if (!(u >= -1e-9 && u <= 1.0 + 1e-9)) {
          throw std::invalid_argument(
              fmt::format("{} = {} is outside its range", p.name, format_value(values[i])));
        }
        unit.push_back(std::clamp(u, 0.0, 1.0));
        break;
      }
      case ParamType::kInt: {
        const double x = numeric_value(values[i]);
        const auto k = std::llround(x) - std::llround(p.low);
        if (x != std::round(x) || k < 0 || k >= p.cardinality()) {
          throw std::invalid_argument(fmt::format("{} = {} is not an integer in [{}, {}]", p.name,
                                                  format_value(values[i]), p.low, p.high));
        }
        unit.push_back(bin_centre(k, p.cardinality()));
        break;
      }
      case ParamType::kCategorical: {
        const auto* label = std::get_if<std::string>(&values[i]);
        const auto it =
            label ? std::find(p.choices.begin(), p.choices.end(), *label) : p.choices.end();
        if (it == p.choices.end()) {
          throw std::invalid_argument(
              fmt::format("{} = {} is not one of its choices", p.name, format_value(values[i])));
        }
        unit.push_back(bin_centre(it - p.choices.begin(), p.cardinality()));
        break;
      }
    }
  }
  return unit;
}

std::vector<double> SearchSpace::snap(const std::vector<double>& unit) const {
  std::vector<double> snapped(unit.size());
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const Parameter& p = parameters_.at(i);
    const double u = std::clamp(unit[i], 0.0, 1.0);
    snapped[i] =
        p.type == ParamType::kFloat ? u : bin_centre(bin_of(u, p.cardinality()), p.cardinality());
  }
  return snapped;
}

nlohmann::ordered_json SearchSpace::to_json(const std::vector<ParamValue>& values) const {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < values.size() && i < parameters_.size(); ++i) {
    std::visit([&](const auto& v) { object[parameters_[i].name] = v; }, values[i]);
  }
  return object;
}

std::vector<ParamValue> SearchSpace::from_json(const nlohmann::json& object) const {
  if (!object.is_object()) throw std::invalid_argument("params must be a JSON object");
  std::vector<ParamValue> values;
  for (const Parameter& p : parameters_) {
    const auto it = object.find(p.name);
    if (it == object.end()) throw std::invalid_argument("params lacks " + p.name);
    switch (p.type) {
      case ParamType::kFloat:
        if (!it->is_number()) throw std::invalid_argument(p.name + " must be a number");
        values.emplace_back(it->get<double>());
        break;
      case ParamType::kInt:
        if (!it->is_number_integer()) throw std::invalid_argument(p.name + " must be an integer");
        values.emplace_back(it->get<std::int64_t>());
        break;
      case ParamType::kCategorical:
        if (!it->is_string()) throw std::invalid_argument(p.name + " must be a string");
        values.emplace_back(it->get<std::string>());
        break;
    }
  }
  return values;
}

std::string format_value(const ParamValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  return std::get<std::string>(value);
}

double numeric_value(const ParamValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  throw std::invalid_argument("'" + std::get<std::string>(value) + "' is not a number");
}

}  // namespace lorahpo

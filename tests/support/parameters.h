#pragma once
// Test helpers: search-space parameters in one line.

#include <string>
#include <utility>
#include <vector>

#include "common/search_space.h"

namespace lorahpo::testing_support {

inline Parameter float_param(std::string name, double low = 0.0, double high = 1.0) {
  Parameter p;
  p.name = std::move(name);
  p.type = ParamType::kFloat;
  p.low = low;
  p.high = high;
  return p;
}

/// A float whose user value is 10^x, x in [low, high].
inline Parameter pow10_param(std::string name, double low, double high) {
  Parameter p = float_param(std::move(name), low, high);
  p.transform = Transform::kPow10;
  return p;
}

inline Parameter int_param(std::string name, double low, double high) {
  Parameter p;
  p.name = std::move(name);
  p.type = ParamType::kInt;
  p.low = low;
  p.high = high;
  return p;
}

inline Parameter categorical_param(std::string name, std::vector<std::string> choices) {
  Parameter p;
  p.name = std::move(name);
  p.type = ParamType::kCategorical;
  p.choices = std::move(choices);
  return p;
}

}  // namespace lorahpo::testing_support

#include "common/option_visitor.h"

#include <cmath>

#include <fmt/format.h>

namespace lorahpo {

bool IntegerRange::contains(long long value) const {
  return (or_zero && value == 0) || (value >= low && value <= high);
}

std::string IntegerRange::rule() const {
  if (or_zero) return fmt::format("must be 0{} or in [{}, {}]", note, low, high);
  return fmt::format("must be in [{}, {}]{}", low, high, note);
}

bool NumberRange::contains(double value) const {
  const bool above = low_open ? value > low : value >= low;
  const bool below = high_open ? value < high : value <= high;
  return above && below;
}

std::string NumberRange::rule() const {
  if (std::isinf(high)) return fmt::format("must be {} {:g}{}", low_open ? ">" : ">=", low, note);
  if (std::isinf(low)) return fmt::format("must be at most {:g}{}", high, note);
  return fmt::format("must be in {}{:g}, {:g}{}{}", low_open ? "(" : "[", low, high,
                     high_open ? ")" : "]", note);
}

}  // namespace lorahpo

#pragma once

#include <string>
#include <vector>

namespace lorahpo::report {

enum class AxisScale { kLinear, kLog10 };

/// A labelled position on an axis, in data units.
struct Tick {
  double value = 0.0;
  std::string label;
};

/// Maps data values to [0, 1] along a plot side and chooses its ticks.
///
/// Linear: "nice" steps 1, 2, 2.5, 5 x 10^k giving about 5 ticks (Heckbert, "Nice numbers for
/// graph labels", Graphics Gems 1990), the range widened to the enclosing ticks. Log10: the range
/// widened to whole decades, a tick per decade (every second or third one past 8 decades), or
/// 1-2-5 ticks when the data spans less than a decade. Categorical: value i is the i-th label,
/// the range [-0.5, n - 0.5].
class Axis {
 public:
  /// Data range [lo, hi] (any order; a single value is widened). Log10 needs lo, hi > 0.
  static Axis numeric(double lo, double hi, AxisScale scale);
  static Axis categorical(std::vector<std::string> labels);

  /// 0 at the low end, 1 at the high end (values outside give values outside [0, 1]).
  double fraction(double value) const;
  /// Whether a value can be drawn at all (log axes drop values <= 0, every axis non-finite ones).
  bool accepts(double value) const;

  const std::vector<Tick>& ticks() const { return ticks_; }
  AxisScale scale() const { return scale_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  Axis() = default;
  AxisScale scale_ = AxisScale::kLinear;
  double lo_ = 0.0;
  double hi_ = 1.0;
  std::vector<Tick> ticks_;
};

/// A short label for a tick or a table: "0.25", "1e-05", "512".
std::string format_number(double value);

}  // namespace lorahpo::report

#include "report/axis.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace lorahpo::report {
namespace {

/// About this many intervals on a linear axis.
constexpr double kTargetIntervals = 5.0;
/// More decades than this on a log axis and only every second (third...) one is labelled.
constexpr int kMaxDecadeTicks = 8;

/// The nice step (1, 2, 2.5, 5 x 10^k) nearest above range / kTargetIntervals.
double nice_step(double range) {
  const double raw = range / kTargetIntervals;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  double nice = 10.0;
  for (double candidate : {1.0, 2.0, 2.5, 5.0}) {
    if (fraction <= candidate) {
      nice = candidate;
      break;
    }
  }
  return nice * magnitude;
}

std::string decade_label(int exponent) {
  if (exponent >= 0 && exponent <= 3)
    return fmt::format("{}", static_cast<int>(std::pow(10.0, exponent)));
  return fmt::format("1e{}", exponent);
}

}  // namespace

std::string format_number(double value) {
  if (value == 0.0) return "0";
  const double magnitude = std::abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) {
    std::string text = fmt::format("{:.4f}", value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    if (text != "0" && text != "-0") return text;
  }
  return fmt::format("{:.3g}", value);
}

Axis Axis::numeric(double lo, double hi, AxisScale scale) {
  Axis axis;
  axis.scale_ = scale;
  if (lo > hi) std::swap(lo, hi);
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0.0, hi = 1.0;

  if (scale == AxisScale::kLog10) {
    if (!(lo > 0.0)) lo = hi > 0.0 ? hi / 10.0 : 1.0;
    if (!(hi > 0.0)) hi = lo * 10.0;
    double lo_exp = std::floor(std::log10(lo) + 1e-9);
    double hi_exp = std::ceil(std::log10(hi) - 1e-9);
    if (hi_exp <= lo_exp) hi_exp = lo_exp + 1.0;
    const int decades = static_cast<int>(hi_exp - lo_exp);
    if (decades == 1 && hi / lo < 10.0) {
      // Less than a decade of data: 1-2-5 ticks inside the decade(s) it touches.
      for (int e = static_cast<int>(lo_exp); e <= static_cast<int>(hi_exp); ++e) {
        for (double m : {1.0, 2.0, 5.0}) {
          const double v = m * std::pow(10.0, e);
          if (v >= std::pow(10.0, lo_exp) && v <= std::pow(10.0, hi_exp)) {
            axis.ticks_.push_back({v, format_number(v)});
          }
        }
      }
    } else {
      const int every = (decades + kMaxDecadeTicks - 1) / kMaxDecadeTicks;
      for (int e = static_cast<int>(lo_exp); e <= static_cast<int>(hi_exp); e += every) {
        axis.ticks_.push_back({std::pow(10.0, e), decade_label(e)});
      }
    }
    axis.lo_ = std::pow(10.0, lo_exp);
    axis.hi_ = std::pow(10.0, hi_exp);
    return axis;
  }

  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo);
  axis.lo_ = std::floor(lo / step + 1e-9) * step;
  axis.hi_ = std::ceil(hi / step - 1e-9) * step;
  for (double k = std::round(axis.lo_ / step); k * step <= axis.hi_ + step * 1e-6; k += 1.0) {
    const double v = k * step;
    axis.ticks_.push_back({v, format_number(std::abs(v) < step * 1e-9 ? 0.0 : v)});
  }
  return axis;
}

Axis Axis::categorical(std::vector<std::string> labels) {
  Axis axis;
  axis.lo_ = -0.5;
  axis.hi_ = static_cast<double>(std::max<std::size_t>(labels.size(), 1)) - 0.5;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    axis.ticks_.push_back({static_cast<double>(i), std::move(labels[i])});
  }
  return axis;
}

bool Axis::accepts(double value) const {
  return std::isfinite(value) && (scale_ != AxisScale::kLog10 || value > 0.0);
}

double Axis::fraction(double value) const {
  if (scale_ == AxisScale::kLog10) {
    return (std::log10(value) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_));
  }
  return (value - lo_) / (hi_ - lo_);
}

}  // namespace lorahpo::report

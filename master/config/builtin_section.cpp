#include "master/config/builtin_section.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace lorahpo {
namespace {

/// Longest simulated evaluation (cost, time_scale): one day. Larger values would overflow the
/// clocks that time the sleep, and no test wants them.
constexpr double kMaxSimulatedSeconds = 86400.0;

CostModel read_cost(const ConfigSection& s) {
  s.allow_only({"base", "slope", "parameter"});
  CostModel cost;
  NumberRange base;
  base.low = 0.0;
  base.high = kMaxSimulatedSeconds;
  base.note = " seconds";
  s.read_number("base", &cost.base_seconds, base);
  if (s.has("slope")) cost.slope_seconds = s.number(s["slope"], s.key_of("slope"));
  s.read_text("parameter", &cost.parameter);
  if (cost.slope_seconds != 0.0 && cost.parameter.empty()) {
    s.fail(s.node(), s.key_of("parameter"), "is required when slope is not 0");
  }
  return cost;
}

/// The longest simulated evaluation, at either end of the parameter's range, must stay within a
/// day.
void check_cost_span(const ConfigSection& cost_section, const CostModel& cost, const Parameter& p) {
  const auto value = [&](double x) {
    return p.transform == Transform::kPow10 ? std::pow(10.0, x) : x;
  };
  const double longest =
      cost.base_seconds +
      std::fabs(cost.slope_seconds) * std::max(std::fabs(value(p.low)), std::fabs(value(p.high)));
  if (!(longest <= kMaxSimulatedSeconds)) {
    cost_section.fail(
        cost_section["slope"], cost_section.key_of("slope"),
        fmt::format("makes an evaluation last up to {:g} s; at most {} s (a day) is simulated",
                    longest, kMaxSimulatedSeconds));
  }
}

}  // namespace

BuiltinDescription read_builtin(const ConfigSection& s, BuiltinObjective* b) {
  s.allow_only({"kind", "function", "dim", "noise", "cost", "time_scale", "metric"});
  const YAML::Node function = s.required("function");
  b->function = s.text(function, s.key_of("function"));
  s.read_integer("dim", &b->dim, {1, 1000, ""});
  BuiltinDescription description;
  try {
    description = describe_builtin(*b);
  } catch (const std::invalid_argument& e) {
    s.fail_at(s.has("dim") ? "dim" : "function", e.what());
  }
  NumberRange noise;
  noise.low = 0.0;
  s.read_number("noise", &b->noise_sd, noise);
  if (s.has("cost")) b->cost = read_cost(s.child("cost"));
  if (s.has("time_scale")) {
    if (b->function != kLoraSurrogate) s.fail_at("time_scale", "applies to lora_surrogate only");
    NumberRange scale;
    scale.low = 0.0;
    scale.high = 3600.0;
    scale.note = " (seconds per hour of real training; 3600: real time)";
    s.read_number("time_scale", &b->time_scale, scale);
  }
  if (s.has("metric")) {
    if (b->function != kLoraSurrogate) s.fail_at("metric", "applies to lora_surrogate only");
    s.read_text("metric", &b->metric);
    if (!parse_lora_metric(b->metric) || b->metric.empty()) {
      s.fail_at("metric", "must be acc_norm or acc, got '" + b->metric + "'");
    }
  }
  return description;
}

void check_builtin_space(const ConfigSection& root, const ConfigSection& objective,
                         const BuiltinObjective& b, const BuiltinDescription& description,
                         const SearchSpace& space) {
  if (root.has("search_space") && !root["search_space"].IsNull()) {
    const YAML::Node given = root["search_space"];
    if (b.function == kLoraSurrogate) {
      root.fail(
          given, "search_space",
          "must be left out: lora_surrogate brings its own, the search space of the 150 recorded "
          "Llama-3.2-3B runs (learning_rate, lora_r, lora_alpha, lora_dropout, weight_decay)");
    }
    if (space.dim() != description.space.dim()) {
      root.fail(given, "search_space",
                fmt::format("has {} parameters, but {} takes {}", space.dim(), b.function,
                            description.space.dim()));
    }
    const auto function = make_test_function(b.function, b.dim);
    for (int i = 0; i < space.dim(); ++i) {
      const Parameter& p = space.parameter(i);
      const std::string why = test_function_parameter_mismatch(*function, i, p);
      if (!why.empty()) root.fail(given[p.name], "search_space." + p.name, why);
    }
  }
  const CostModel& cost = b.cost;
  if (cost.parameter.empty()) return;
  const ConfigSection cost_section = objective.child("cost");
  const int index = space.index_of(cost.parameter);
  if (index < 0) {
    cost_section.fail_at("parameter",
                         "names '" + cost.parameter + "', which is not a search_space parameter");
  }
  if (space.parameter(index).type == ParamType::kCategorical)
    cost_section.fail_at("parameter", "must be numeric");
  if (cost.slope_seconds != 0.0) check_cost_span(cost_section, cost, space.parameter(index));
}

}  // namespace lorahpo

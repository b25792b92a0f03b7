#include "report/report_figures.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "report/run_reader.h"
#include "report/svg_plot.h"

namespace lorahpo::report {
namespace {

constexpr double kWidth = 760.0;
constexpr double kHeight = 420.0;
constexpr double kPanelWidth = 380.0;
constexpr double kPanelHeight = 280.0;
constexpr int kPanelColumns = 3;

const std::string kOkColor = "#4e79a7";
const std::string kBestColor = "#f28e2b";
const std::string kFailedColor = "#e15759";
const std::string kErrorColor = "#b07aa1";
const std::string kRetriedColor = "#bab0ac";
const std::string kApproximatedColor = "#76b7b2";
const std::string kGanttOkColor = "#59a14f";

SeriesStyle style(const std::string& color, Marker marker, bool filled = true, double size = 3.5) {
  SeriesStyle s;
  s.color = color;
  s.marker = marker;
  s.filled = filled;
  s.marker_size = size;
  return s;
}

SeriesStyle line_style(const std::string& color, double width) {
  SeriesStyle s;
  s.color = color;
  s.line_width = width;
  return s;
}

std::string params_text(const TrialEntry& t) {
  std::string text;
  for (const auto& [name, value] : t.params.items()) {
    text +=
        fmt::format("\n{} = {}", name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

std::string tip(const TrialEntry& t, int evaluation) {
  std::string head = fmt::format("#{} (evaluation {}): {}", t.id, evaluation, to_string(t.state));
  if (t.score) head += fmt::format(", score {}", format_number(*t.score));
  if (!t.reason.empty()) head += "\n" + t.reason;
  return head + params_text(t);
}

/// The plotted x or y of a parameter value: its number, or its category's index.
std::optional<double> param_coordinate(const TrialEntry& t, const ParameterInfo& p) {
  const auto it = t.params.find(p.name);
  if (it == t.params.end()) return std::nullopt;
  if (p.categorical) {
    const std::string label = it->is_string() ? it->get<std::string>() : it->dump();
    const auto at = std::find(p.choices.begin(), p.choices.end(), label);
    if (at == p.choices.end()) return std::nullopt;
    return static_cast<double>(at - p.choices.begin());
  }
  if (!it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string title_prefix(const RunData& run) {
  return fmt::format("{} ({})", run.metadata.name,
                     run.metadata.optimizer.empty() ? "?" : run.metadata.optimizer);
}

Figure score_per_evaluation(const RunData& run, const RunAnalysis& a) {
  SvgPlot plot(title_prefix(run) + ": score per evaluation", "evaluation", "score");
  std::vector<Point> ok, failed, error, best_line, best_point;
  for (std::size_t k = 0; k < a.evaluations.size(); ++k) {
    const TrialEntry& t = run.trials[a.evaluations[k]];
    const double x = static_cast<double>(k + 1);
    const Point p{x, t.score.value_or(0.0), tip(t, static_cast<int>(k + 1))};
    if (t.state == TrialState::kOk && t.score) {
      (a.best_trial && *a.best_trial == a.evaluations[k] ? best_point : ok).push_back(p);
    } else if (t.state == TrialState::kError) {
      error.push_back(p);
    } else {
      failed.push_back(p);
    }
    if (a.best_so_far[k]) best_line.push_back({x, *a.best_so_far[k], ""});
  }
  const bool maximize = run.metadata.direction == Direction::kMaximize;
  plot.add_scatter("ok", ok, style(kOkColor, Marker::kCircle));
  plot.add_step(maximize ? "best so far (max)" : "best so far (min)", best_line,
                line_style(kBestColor, 2.0));
  if (!best_point.empty())
    plot.add_scatter("best", best_point, style(kBestColor, Marker::kSquare, true, 4.5));
  if (!failed.empty()) plot.add_bottom_marks("failed", failed, style(kFailedColor, Marker::kCross));
  if (!error.empty()) plot.add_bottom_marks("error", error, style(kErrorColor, Marker::kTriangle));
  if (!a.evaluations.empty()) plot.set_x_range(1.0, static_cast<double>(a.evaluations.size()));
  return {"score_per_evaluation.svg",
          "Score per evaluation (results in arrival order) with the best-so-far line; failed and "
          "errored evaluations are marked on the bottom edge.",
          plot.render(kWidth, kHeight)};
}

void set_parameter_axis(SvgPlot& plot, const ParameterInfo& p, bool on_x) {
  if (p.categorical) {
    on_x ? plot.set_x_categories(p.choices) : plot.set_y_categories(p.choices);
  } else if (p.log_scale) {
    on_x ? plot.set_x_scale(AxisScale::kLog10) : plot.set_y_scale(AxisScale::kLog10);
  }
}

Figure parameters_over_iterations(const RunData& run, const RunAnalysis& a) {
  std::vector<SvgPlot> panels;
  for (const ParameterInfo& p : run.parameters) {
    SvgPlot plot(p.name + (p.log_scale ? " (log)" : ""), "evaluation", p.name);
    set_parameter_axis(plot, p, false);
    std::vector<Point> ok, failed, best;
    for (std::size_t k = 0; k < a.evaluations.size(); ++k) {
      const TrialEntry& t = run.trials[a.evaluations[k]];
      const auto v = param_coordinate(t, p);
      if (!v) continue;
      const Point point{static_cast<double>(k + 1), *v, tip(t, static_cast<int>(k + 1))};
      if (a.best_trial && *a.best_trial == a.evaluations[k]) {
        best.push_back(point);
      } else {
        (t.state == TrialState::kOk ? ok : failed).push_back(point);
      }
    }
    plot.add_scatter("", ok, style(kOkColor, Marker::kCircle, true, 3.0));
    plot.add_scatter("", failed, style(kFailedColor, Marker::kCross, true, 3.0));
    plot.add_scatter("", best, style(kBestColor, Marker::kSquare, true, 4.0));
    if (!a.evaluations.empty()) plot.set_x_range(1.0, static_cast<double>(a.evaluations.size()));
    panels.push_back(std::move(plot));
  }
  return {"parameters_over_iterations.svg",
          "Each hyperparameter over the evaluations (blue ok, red crosses failed or error, orange "
          "square the best); pow10 parameters on log axes.",
          render_grid(panels, kPanelColumns, kPanelWidth, kPanelHeight,
                      title_prefix(run) + ": hyperparameters over evaluations")};
}

Figure score_by_parameter(const RunData& run, const RunAnalysis& a) {
  std::vector<SvgPlot> panels;
  for (const ParameterInfo& p : run.parameters) {
    SvgPlot plot("score vs " + p.name, p.name + (p.log_scale ? " (log)" : ""), "score");
    set_parameter_axis(plot, p, true);
    std::vector<Point> ok, failed, best;
    for (std::size_t k = 0; k < a.evaluations.size(); ++k) {
      const TrialEntry& t = run.trials[a.evaluations[k]];
      const auto v = param_coordinate(t, p);
      if (!v) continue;
      const Point point{*v, t.score.value_or(0.0), tip(t, static_cast<int>(k + 1))};
      if (a.best_trial && *a.best_trial == a.evaluations[k]) {
        best.push_back(point);
      } else {
        (t.state == TrialState::kOk && t.score ? ok : failed).push_back(point);
      }
    }
    plot.add_scatter("", ok, style(kOkColor, Marker::kCircle, true, 3.0));
    plot.add_scatter("", best, style(kBestColor, Marker::kSquare, true, 4.0));
    plot.add_bottom_marks("", failed, style(kFailedColor, Marker::kCross, true, 3.0));
    panels.push_back(std::move(plot));
  }
  return {"score_by_parameter.svg",
          "Score against each hyperparameter (failures as red crosses on the bottom edge, the best "
          "as an orange square).",
          render_grid(panels, kPanelColumns, kPanelWidth, kPanelHeight,
                      title_prefix(run) + ": score by hyperparameter")};
}

Figure validation_vs_test(const RunData& run, const RunAnalysis& a) {
  SvgPlot plot(fmt::format("{}: validation vs test, Pearson r = {} (n = {})", title_prefix(run),
                           a.correlation ? fmt::format("{:.4f}", *a.correlation) : "n/a",
                           a.correlation_pairs),
               "score (objective)", a.test_metric->label);
  std::vector<Point> points, best;
  for (std::size_t i : a.ranked) {
    const TrialEntry& t = run.trials[i];
    if (const auto test = test_metric_value(t, *a.test_metric)) {
      (a.best_trial && *a.best_trial == i ? best : points).push_back({*t.score, *test, tip(t, 0)});
    }
  }
  plot.add_scatter("ok evaluations", points, style(kOkColor, Marker::kCircle));
  plot.add_scatter("best by score", best, style(kBestColor, Marker::kSquare, true, 4.5));
  return {"validation_vs_test.svg",
          fmt::format("Objective score against the test metric ({}) of every ok evaluation.",
                      a.test_metric->key),
          plot.render(kWidth, kHeight)};
}

Figure worker_timeline(const RunData& run, const RunAnalysis& a) {
  std::vector<int> workers;
  double origin = 0.0;
  bool have_origin = false;
  for (const TrialEntry& t : run.trials) {
    if (t.worker <= 0 || !t.start_unix || !t.end_unix) continue;
    if (std::find(workers.begin(), workers.end(), t.worker) == workers.end())
      workers.push_back(t.worker);
    origin = have_origin ? std::min(origin, *t.start_unix) : *t.start_unix;
    have_origin = true;
  }
  std::sort(workers.begin(), workers.end());
  std::vector<std::string> rows;
  for (int w : workers) rows.push_back(fmt::format("worker {}", w));

  const Utilization& u = a.utilization;
  SvgPlot plot(fmt::format("{}: worker timeline, U = {:.1f} % ({} workers, makespan {:.1f} s)",
                           title_prefix(run), 100.0 * u.utilization, u.workers, u.makespan_seconds),
               "seconds since the first start", "");
  plot.set_y_categories(rows);
  std::vector<Bar> bars;
  std::map<std::string, std::string> used;  // legend label -> colour
  for (const TrialEntry& t : run.trials) {
    if (t.worker <= 0 || !t.start_unix || !t.end_unix) continue;
    const auto row = std::find(workers.begin(), workers.end(), t.worker) - workers.begin();
    std::string label = to_string(t.state);
    std::string color = kRetriedColor;
    if (t.retried) {
      label = "error (retried)";
    } else if (t.state == TrialState::kOk) {
      color = kGanttOkColor;
    } else if (t.state == TrialState::kFailed) {
      color = kFailedColor;
    } else if (t.state == TrialState::kError) {
      color = kErrorColor;
    }
    used[label] = color;
    std::string text =
        fmt::format("#{} attempt {} on {}: {} {:.1f} s", t.id, t.attempt,
                    t.host.empty() ? "?" : t.host, label, *t.end_unix - *t.start_unix);
    if (t.score) text += fmt::format(", score {}", format_number(*t.score));
    if (!t.reason.empty()) text += "\n" + t.reason;
    bars.push_back(
        {static_cast<double>(row), *t.start_unix - origin, *t.end_unix - origin, color, text});
  }
  plot.add_bars(std::move(bars));
  for (const auto& [label, color] : used) plot.add_legend_swatch(label, color);
  if (u.makespan_seconds > 0.0) plot.set_x_range(0.0, u.makespan_seconds);
  const double height = std::max(kHeight * 0.6, 90.0 + 34.0 * static_cast<double>(rows.size()));
  return {"worker_timeline.svg",
          "Worker timeline: one row per worker, a bar per attempt from start to end, coloured by "
          "status; U = busy time / (workers x makespan).",
          plot.render(kWidth, height)};
}

Figure tree_depth(const RunData& run) {
  SvgPlot plot(title_prefix(run) + ": partition tree depth", "evaluation", "depth h");
  std::vector<Point> evaluated, failed, approximated, deepest;
  int evaluations = 0;
  int max_depth = -1;
  for (const TrialEntry& t : run.trials) {
    if (t.retried) continue;
    const bool approx = t.state == TrialState::kApproximated;
    if (!approx && t.is_final_evaluation()) ++evaluations;
    if (!t.depth) continue;
    // Approximated points sit between the evaluations they came with.
    const double x = approx ? evaluations + 0.5 : static_cast<double>(evaluations);
    const Point p{x, static_cast<double>(*t.depth),
                  fmt::format("#{} {} depth {}", t.id, to_string(t.state), *t.depth)};
    (approx ? approximated : t.state == TrialState::kOk ? evaluated : failed).push_back(p);
    max_depth = std::max(max_depth, *t.depth);
    deepest.push_back({x, static_cast<double>(max_depth), ""});
  }
  plot.add_scatter("evaluated", evaluated, style(kOkColor, Marker::kCircle));
  if (!failed.empty())
    plot.add_scatter("failed/error", failed, style(kFailedColor, Marker::kCross));
  if (!approximated.empty()) {
    plot.add_scatter("approximated (GP bound)", approximated,
                     style(kApproximatedColor, Marker::kCircle, false));
  }
  plot.add_step("deepest so far", deepest, line_style(kBestColor, 1.5));
  return {"tree_depth.svg",
          "Depth in the partition tree of each point (SOO/BaMSOO): the search deepens where it "
          "exploits; approximated points are hollow.",
          plot.render(kWidth, kHeight)};
}

}  // namespace

std::vector<Figure> run_figures(const RunData& run, const RunAnalysis& analysis) {
  std::vector<Figure> figures;
  figures.push_back(score_per_evaluation(run, analysis));
  if (!run.parameters.empty()) {
    figures.push_back(parameters_over_iterations(run, analysis));
    figures.push_back(score_by_parameter(run, analysis));
  }
  if (analysis.test_metric) figures.push_back(validation_vs_test(run, analysis));
  if (analysis.utilization.busy_seconds > 0.0) figures.push_back(worker_timeline(run, analysis));
  const bool has_depth = std::any_of(run.trials.begin(), run.trials.end(),
                                     [](const TrialEntry& t) { return t.depth.has_value(); });
  if (has_depth) figures.push_back(tree_depth(run));
  return figures;
}

Figure comparison_figure(const std::vector<RunData>& runs,
                         const std::vector<RunAnalysis>& analyses) {
  SvgPlot plot("best so far per evaluation", "evaluation", "best score");
  double longest = 1.0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::vector<Point> points;
    const auto& best = analyses[r].best_so_far;
    for (std::size_t k = 0; k < best.size(); ++k) {
      if (best[k]) points.push_back({static_cast<double>(k + 1), *best[k], ""});
    }
    longest = std::max(longest, static_cast<double>(best.size()));
    plot.add_step(run_label(runs[r].dir), points, line_style(palette_color(r), 2.0));
  }
  plot.set_x_range(1.0, longest);
  return {"compare.svg", "Best score so far against the number of evaluations, one line per run.",
          plot.render(kWidth, kHeight)};
}

}  // namespace lorahpo::report

#pragma once

#include <string>
#include <vector>

#include "report/run_analysis.h"
#include "report/run_data.h"

namespace lorahpo::report {

/// One SVG of a report: its file name, a caption for report.md, and the document.
struct Figure {
  std::string file;
  std::string caption;
  std::string svg;
};

/// The figures of one run, in report order:
///  score_per_evaluation.svg   score of each evaluation, failures marked, best-so-far step line;
///  parameters_over_iterations.svg  one panel per parameter: its value at each evaluation;
///  score_by_parameter.svg     one panel per parameter: score against its value;
///  validation_vs_test.svg     objective vs test metric with Pearson r (when metrics hold one);
///  worker_timeline.svg        Gantt of every attempt per worker, with the utilization;
///  tree_depth.svg             SOO/BaMSOO tree depth of each point (when the journal has depths).
/// pow10 parameters get log axes, categorical ones named categories.
std::vector<Figure> run_figures(const RunData& run, const RunAnalysis& analysis);

/// Best-so-far curves of several runs overlaid, legend = run directory names (compare.svg).
Figure comparison_figure(const std::vector<RunData>& runs,
                         const std::vector<RunAnalysis>& analyses);

}  // namespace lorahpo::report

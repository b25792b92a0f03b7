#pragma once

#include <string>
#include <vector>

#include "report/report_figures.h"
#include "report/run_analysis.h"
#include "report/run_data.h"

namespace lorahpo::report {

/// Tolerance of the comparison's "evaluations to reach the final best" column.
constexpr double kReachTolerance = 0.002;

/// What a report wrote: report.md (or compare.md) and the SVGs, as paths.
struct ReportFiles {
  std::string markdown;
  std::vector<std::string> figures;
};

/// report.md: campaign, optimizer, budget, counts, best configuration, top 5, failures with their
/// reasons, utilization, wall time, validation/test correlation, and links to the figures.
std::string report_markdown(const RunData& run, const RunAnalysis& analysis,
                            const std::vector<Figure>& figures);

/// compare.md: one row per run (best score, evaluations to reach within kReachTolerance of its
/// final best) and the link to compare.svg.
std::string comparison_markdown(const std::vector<RunData>& runs,
                                const std::vector<RunAnalysis>& analyses, const Figure& figure);

/// Writes the report of one run into out_dir (created if needed; existing report files are
/// replaced). Throws ReportError when out_dir cannot be written.
ReportFiles write_report(const RunData& run, const std::string& out_dir);

/// Writes compare.svg and compare.md into out_dir. Throws ReportError.
ReportFiles write_comparison(const std::vector<RunData>& runs, const std::string& out_dir);

}  // namespace lorahpo::report

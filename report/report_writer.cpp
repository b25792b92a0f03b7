#include "report/report_writer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>

#include "report/axis.h"
#include "report/report_error.h"
#include "report/run_reader.h"

namespace lorahpo::report {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kTopRows = 5;

/// A markdown table cell: pipes escaped, line breaks folded.
std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string value_text(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return format_number(value.get<double>());
  return value.dump();
}

std::string score_text(double score) {
  return fmt::format("{:.6g}", score);
}

std::string duration_text(double seconds) {
  if (seconds < 120.0) return fmt::format("{:.1f} s", seconds);
  if (seconds < 7200.0) return fmt::format("{:.1f} min ({:.0f} s)", seconds / 60.0, seconds);
  return fmt::format("{:.2f} h ({:.0f} s)", seconds / 3600.0, seconds);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.flush()) throw ReportError("cannot write " + path.string());
}

void make_directory(const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) {
    throw ReportError("cannot create " + out_dir + (ec ? ": " + ec.message() : std::string()));
  }
}

/// The title and the table of what the run was and how it went.
std::string overview_section(const RunData& run, const RunAnalysis& a) {
  const RunMetadata& m = run.metadata;
  std::string md = fmt::format("# Report: {}\n\n", m.name);
  md += "| | |\n| --- | --- |\n";
  md +=
      fmt::format("| run directory | `{}` |\n", fs::absolute(run.dir).lexically_normal().string());
  md += fmt::format("| campaign | {} |\n", cell(m.name));
  md += fmt::format("| optimizer | {} |\n", m.optimizer.empty() ? "unknown" : cell(m.optimizer));
  md += fmt::format("| direction | {} |\n",
                    m.direction == Direction::kMaximize ? "maximize" : "minimize");
  md += fmt::format("| budget | {} |\n", m.budget ? std::to_string(*m.budget) : "unknown");
  md += fmt::format("| evaluations | {} ({} ok, {} failed, {} error) |\n", a.evaluations.size(),
                    a.ok, a.failed, a.error);
  if (a.retried > 0)
    md += fmt::format("| retried attempts | {} (errors sent again; not in the score plots) |\n",
                      a.retried);
  if (a.approximated > 0)
    md += fmt::format("| approximated points | {} (BaMSOO GP bound, not run) |\n", a.approximated);
  if (a.rechecks_ok + a.rechecks_cancelled + a.rechecks_other > 0)
    md += fmt::format(
        "| re-checks in the idle tail | {} measured, {} cancelled, {} failed or lost (not in the "
        "budget; in the recommendation) |\n",
        a.rechecks_ok, a.rechecks_cancelled, a.rechecks_other);
  md += fmt::format("| workers | {} |\n", a.utilization.workers);
  md += fmt::format("| wall time | {}{} |\n", duration_text(a.wall_seconds),
                    a.wall_from_summary ? "" : " (journal makespan; no summary.json)");
  const Utilization& u = a.utilization;
  md += fmt::format(
      "| worker utilization | {:.1f} % = {:.1f} s busy / ({} workers x {:.1f} s makespan) |\n",
      100.0 * u.utilization, u.busy_seconds, u.workers, u.makespan_seconds);
  if (const GpuTimeSaved& saved = a.gpu_time_saved; saved.stopped_early > 0) {
    md += saved.reference_seconds
              ? fmt::format(
                    "| GPU time saved by early stops | {:.2f} GPU-hours: {} diverged evaluation(s) "
                    "stopped "
                    "early, each counted against {:.0f} s ({}) |\n",
                    saved.gpu_hours(), saved.stopped_early, *saved.reference_seconds,
                    saved.reference_from)
              : fmt::format(
                    "| GPU time saved by early stops | unknown: {} diverged evaluation(s) stopped "
                    "early, "
                    "no ok evaluation and no objective.timeout to compare with |\n",
                    saved.stopped_early);
  }
  if (a.test_metric) {
    md += fmt::format(
        "| validation vs test | Pearson r = {} over {} ok evaluations (score vs `{}`) |\n",
        a.correlation ? fmt::format("{:.4f}", *a.correlation) : "n/a", a.correlation_pairs,
        a.test_metric->key);
  }
  if (run.resumes > 0) md += fmt::format("| resumed | {} time(s) |\n", run.resumes);
  if (run.skipped_lines > 0) {
    md += fmt::format("| journal | {} unparsable line(s) ignored (e.g. a torn last line) |\n",
                      run.skipped_lines);
  }
  return md;
}

/// The measurement noise the recommendation's GP was given (summary.json's recommended.noise,
/// master/campaign/measurement_noise.h), and how repeated measurements scattered; "" when absent
/// (runs from before it was recorded).
std::string noise_text(const nlohmann::ordered_json& r) {
  if (!r.contains("noise") || !r["noise"].is_object()) return "";
  const auto& noise = r["noise"];
  const std::string source = noise.value("source", "");
  static const std::map<std::string, std::string> kSources = {
      {"objective", "the objective's own"},
      {"replicates", "the spread of repeated measurements"},
      {"lm_eval_stderr", "lm_eval's standard error, the median over the evaluations"}};
  std::string text;
  if (r.value("rule", "") != "gp_posterior_mean") {
    // No GP was fitted: only the replicates' spread below is news.
  } else if (noise.contains("sd") && noise["sd"].is_number() && kSources.count(source)) {
    text = fmt::format(" The GP's measurement noise: sd {} ({}).",
                       score_text(noise["sd"].get<double>()), kSources.at(source));
  } else {
    text = " The GP learned the measurement noise (none was known).";
  }
  if (noise.contains("replicates") && noise["replicates"].is_object()) {
    const auto& rep = noise["replicates"];
    if (rep.contains("sd") && rep["sd"].is_number()) {
      text += fmt::format(
          " Repeated measurements (re-checks) scatter by sd {} over {} point(s), {} degree(s) "
          "of freedom.",
          score_text(rep["sd"].get<double>()), rep.value("points", 0),
          rep.value("degrees_of_freedom", 0));
    }
  }
  return text;
}

/// The recommended configuration (summary.json), at full precision: the point to train again.
std::string recommended_section(const RunData& run) {
  const nlohmann::ordered_json& r = run.recommended;
  if (!r.is_object() || !r.contains("id")) return "";
  std::string md = "\n## Recommended configuration\n\n";
  const auto number = [&](const char* key) -> std::optional<double> {
    if (r.contains(key) && r[key].is_number()) return r[key].get<double>();
    return std::nullopt;
  };
  const int measurements = r.value("measurements", 1);
  if (r.value("rule", "") == "gp_posterior_mean" && number("posterior_mean")) {
    md += fmt::format(
        "Evaluation #{}: the evaluated point with the best GP posterior mean, **{} ± {}** "
        "(observed mean {} over {} measurement(s))",
        r["id"].get<long long>(), score_text(*number("posterior_mean")),
        score_text(number("posterior_sd").value_or(0.0)),
        score_text(number("observed_mean").value_or(0.0)), measurements);
  } else {
    md += fmt::format(
        "Evaluation #{}: the best observed mean, **{}** over {} measurement(s) (too "
        "few points for a model)",
        r["id"].get<long long>(), score_text(number("observed_mean").value_or(0.0)), measurements);
  }
  if (const auto noiseless = number("noiseless")) {
    md += fmt::format("; noiseless value {}", score_text(*noiseless));
  }
  md +=
      ". The best observed score below is one noisy measurement: with many points measured it "
      "overstates its point's true value (the winner's curse).";
  md += noise_text(r);
  md += "\n\n| parameter | value |\n| --- | --- |\n";
  if (r.contains("params") && r["params"].is_object()) {
    for (const auto& [name, value] : r["params"].items()) {
      md += fmt::format("| {} | {} |\n", cell(name),
                        cell(value.is_string() ? value.get<std::string>() : value.dump()));
    }
  }
  return md;
}

/// The best observed evaluation and its parameters at full precision.
std::string best_section(const RunData& run, const RunAnalysis& a) {
  std::string md = "\n## Best observed score\n\n";
  if (a.best_trial) {
    const TrialEntry& best = run.trials[*a.best_trial];
    md += fmt::format("Evaluation #{}: score **{}**, found at evaluation {} of {}", best.id,
                      score_text(*best.score), a.best_found_at, a.evaluations.size());
    if (a.test_metric) {
      if (const auto test = test_metric_value(best, *a.test_metric)) {
        md += fmt::format(" (test `{}` = {})", a.test_metric->key, score_text(*test));
      }
    }
    md += ".\n\n| parameter | value |\n| --- | --- |\n";
    // Full precision here: this is the configuration to train again.
    for (const auto& [name, value] : best.params.items()) {
      md += fmt::format("| {} | {} |\n", cell(name),
                        cell(value.is_string() ? value.get<std::string>() : value.dump()));
    }
  } else {
    md += "No evaluation succeeded.\n";
  }
  return md;
}

/// The kTopRows best ok evaluations, one row each.
std::string top_section(const RunData& run, const RunAnalysis& a) {
  std::string md = fmt::format("\n## Top {}\n\n", kTopRows);
  if (!a.ranked.empty()) {
    md += "| rank | id | score |";
    std::string rule = "| --- | --- | --- |";
    if (a.test_metric) {
      md += " test |";
      rule += " --- |";
    }
    for (const ParameterInfo& p : run.parameters) {
      md += " " + cell(p.name) + " |";
      rule += " --- |";
    }
    md += "\n" + rule + "\n";
    for (std::size_t r = 0; r < std::min(kTopRows, a.ranked.size()); ++r) {
      const TrialEntry& t = run.trials[a.ranked[r]];
      md += fmt::format("| {} | {} | {} |", r + 1, t.id, score_text(*t.score));
      if (a.test_metric) {
        const auto test = test_metric_value(t, *a.test_metric);
        md += " " + (test ? score_text(*test) : std::string("")) + " |";
      }
      for (const ParameterInfo& p : run.parameters) {
        const auto it = t.params.find(p.name);
        md += " " + (it != t.params.end() ? cell(value_text(*it)) : std::string()) + " |";
      }
      md += "\n";
    }
  } else {
    md += "No ok evaluation.\n";
  }
  return md;
}

/// Every failed or erroneous evaluation with its reason.
std::string failures_section(const RunData& run) {
  std::string md = "\n## Failures\n\n";
  const bool any_failure =
      std::any_of(run.trials.begin(), run.trials.end(), [](const TrialEntry& t) {
        return t.state == TrialState::kFailed || t.state == TrialState::kError;
      });
  if (any_failure) {
    md +=
        "| id | status | attempt | worker | host | duration | reason |\n| --- | --- | --- | --- | "
        "--- | --- | --- |\n";
    for (const TrialEntry& t : run.trials) {
      if (t.state != TrialState::kFailed && t.state != TrialState::kError) continue;
      md += fmt::format("| {} | {}{} | {} | {} | {} | {:.1f} s | {} |\n", t.id, to_string(t.state),
                        t.retried ? " (retried)" : "", t.attempt, t.worker, cell(t.host),
                        t.duration, cell(t.reason));
    }
  } else {
    md += "None.\n";
  }
  return md;
}

/// The figures, linked and shown.
std::string figures_section(const std::vector<Figure>& figures) {
  std::string md = "\n## Figures\n\n";
  for (const Figure& f : figures)
    md +=
        fmt::format("- [{}]({}): {}\n\n  ![{}]({})\n\n", f.file, f.file, f.caption, f.file, f.file);
  return md;
}

}  // namespace

std::string report_markdown(const RunData& run, const RunAnalysis& a,
                            const std::vector<Figure>& figures) {
  return overview_section(run, a) + recommended_section(run) + best_section(run, a) +
         top_section(run, a) + failures_section(run) + figures_section(figures);
}

std::string comparison_markdown(const std::vector<RunData>& runs,
                                const std::vector<RunAnalysis>& analyses, const Figure& figure) {
  std::string md = "# Comparison\n\n";
  md += fmt::format(
      "| run | campaign | optimizer | direction | evaluations (ok/failed/error) | best score | "
      "evaluations to "
      "reach within {} of the final best |\n| --- | --- | --- | --- | --- | --- | --- |\n",
      kReachTolerance);
  bool mixed = false;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const RunData& run = runs[r];
    const RunAnalysis& a = analyses[r];
    mixed = mixed || run.metadata.direction != runs.front().metadata.direction;
    const auto reach = evaluations_to_reach(a.best_so_far, kReachTolerance);
    md += fmt::format("| {} | {} | {} | {} | {} ({}/{}/{}) | {} | {} |\n", cell(run_label(run.dir)),
                      cell(run.metadata.name), cell(run.metadata.optimizer),
                      run.metadata.direction == Direction::kMaximize ? "maximize" : "minimize",
                      a.evaluations.size(), a.ok, a.failed, a.error,
                      a.best_trial ? score_text(*run.trials[*a.best_trial].score) : "none",
                      reach ? std::to_string(*reach) : "n/a");
  }
  if (mixed)
    md += "\nWarning: the runs do not share one direction; their curves are not comparable.\n";
  md += fmt::format("\n![{}]({})\n", figure.file, figure.file);
  return md;
}

ReportFiles write_report(const RunData& run, const std::string& out_dir) {
  const RunAnalysis analysis = analyze_run(run);
  const std::vector<Figure> figures = run_figures(run, analysis);
  make_directory(out_dir);
  ReportFiles files;
  for (const Figure& f : figures) {
    const fs::path path = fs::path(out_dir) / f.file;
    write_text(path, f.svg);
    files.figures.push_back(path.string());
  }
  const fs::path md = fs::path(out_dir) / "report.md";
  write_text(md, report_markdown(run, analysis, figures));
  files.markdown = md.string();
  return files;
}

ReportFiles write_comparison(const std::vector<RunData>& runs, const std::string& out_dir) {
  std::vector<RunAnalysis> analyses;
  for (const RunData& run : runs) analyses.push_back(analyze_run(run));
  const Figure figure = comparison_figure(runs, analyses);
  make_directory(out_dir);
  ReportFiles files;
  const fs::path svg = fs::path(out_dir) / figure.file;
  write_text(svg, figure.svg);
  files.figures.push_back(svg.string());
  const fs::path md = fs::path(out_dir) / "compare.md";
  write_text(md, comparison_markdown(runs, analyses, figure));
  files.markdown = md.string();
  return files;
}

}  // namespace lorahpo::report

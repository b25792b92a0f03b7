#pragma once

// Header-only: the campaign summary (master/campaign.cpp) and `lorahpo report` (report/, a library
// that does not link lorahpo_common) must count the same thing the same way.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo {

/// What one final evaluation contributes to the count, from its status and metrics. A trial the
/// training-log watch stopped (worker/training_log_watch.h) records `stopped_early: true`,
/// `seconds` (the evaluation's elapsed time) and `gpus` (devices x nodes) in its metrics.
struct TrialGpuTime {
  bool ok = false;
  bool stopped_early = false;
  std::optional<double> seconds;  ///< metrics.seconds when a finite number >= 0
  double gpus = 1.0;              ///< metrics.gpus when a positive number, else 1
};

inline TrialGpuTime trial_gpu_time(bool ok, const nlohmann::json& metrics) {
  TrialGpuTime t;
  t.ok = ok;
  if (!metrics.is_object()) return t;
  const auto stopped = metrics.find("stopped_early");
  t.stopped_early = stopped != metrics.end() && stopped->is_boolean() && stopped->get<bool>();
  const auto seconds = metrics.find("seconds");
  if (seconds != metrics.end() && seconds->is_number()) {
    const double s = seconds->get<double>();
    if (std::isfinite(s) && s >= 0) t.seconds = s;
  }
  const auto gpus = metrics.find("gpus");
  if (gpus != metrics.end() && gpus->is_number()) {
    const double g = gpus->get<double>();
    if (std::isfinite(g) && g > 0) t.gpus = g;
  }
  return t;
}

/// GPU time the early stops saved:
///   saved = sum over stopped trials i of max(0, reference - seconds_i) x gpus_i   (GPU-seconds)
/// where reference is what a stopped trial would otherwise have run: the median `seconds` of the
/// campaign's ok trials, or, when none is ok yet, the trial timeout (a diverged LitGPT run trains
/// to the end of its epochs: as long as a healthy one, and never longer than the timeout). With
/// neither, nothing can be said (reference unknown, saved 0). Only final evaluations count (an
/// attempt that errored and was retried is no result).
struct GpuTimeSaved {
  int stopped_early = 0;                    ///< trials stopped early
  std::optional<double> reference_seconds;  ///< nullopt: unknown
  std::string reference_from;               ///< "median of N ok trials", "trial timeout", "unknown"
  double gpu_seconds = 0.0;
  double gpu_hours() const { return gpu_seconds / 3600.0; }
};

inline GpuTimeSaved gpu_time_saved(const std::vector<TrialGpuTime>& trials,
                                   std::optional<double> trial_timeout_seconds) {
  GpuTimeSaved saved;
  std::vector<double> ok_seconds;
  for (const TrialGpuTime& t : trials) {
    if (t.ok && t.seconds) ok_seconds.push_back(*t.seconds);
    saved.stopped_early += t.stopped_early;
  }
  if (!ok_seconds.empty()) {
    std::sort(ok_seconds.begin(), ok_seconds.end());
    const std::size_t n = ok_seconds.size();
    saved.reference_seconds =
        n % 2 == 1 ? ok_seconds[n / 2] : 0.5 * (ok_seconds[n / 2 - 1] + ok_seconds[n / 2]);
    saved.reference_from = "median of " + std::to_string(n) + " ok trial" + (n == 1 ? "" : "s");
  } else if (trial_timeout_seconds && *trial_timeout_seconds > 0) {
    saved.reference_seconds = *trial_timeout_seconds;
    saved.reference_from = "trial timeout";
  } else {
    saved.reference_from = "unknown";
  }
  if (!saved.reference_seconds) return saved;
  for (const TrialGpuTime& t : trials) {
    if (!t.stopped_early || !t.seconds) continue;
    saved.gpu_seconds += std::max(0.0, *saved.reference_seconds - *t.seconds) * t.gpus;
  }
  return saved;
}

/// summary.json's "gpu_time_saved" object.
inline nlohmann::ordered_json to_json(const GpuTimeSaved& saved) {
  nlohmann::ordered_json j;
  j["stopped_early"] = saved.stopped_early;
  // Not a ?: of json and nullptr: nlohmann-json 3.9 (Debian 11) has no common type for them.
  if (saved.reference_seconds) {
    j["reference_seconds"] = *saved.reference_seconds;
  } else {
    j["reference_seconds"] = nullptr;
  }
  j["reference_from"] = saved.reference_from;
  j["gpu_seconds"] = saved.gpu_seconds;
  j["gpu_hours"] = saved.gpu_hours();
  return j;
}

}  // namespace lorahpo

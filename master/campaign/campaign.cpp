#include "master/campaign/campaign.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/config_error.h"
#include "common/gpu_time_saved.h"
#include "master/campaign/campaign_identity.h"
#include "master/campaign/measurement_noise.h"
#include "master/journal/journal.h"
#include "master/journal/journal_codec.h"
#include "master/journal/journal_reader.h"
#include "master/optimizers/optimizer_factory.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.flush()) throw std::runtime_error("cannot write " + path.string());
}

nlohmann::ordered_json summary_json(const CampaignConfig& config, const SearchSpace& space,
                                    const CampaignOutcome& outcome) {
  nlohmann::ordered_json summary;
  summary["campaign"] = config.campaign.name;
  summary["optimizer"] = to_string(config.optimizer.kind);
  summary["direction"] = to_string(config.campaign.direction);
  summary["budget"] = config.campaign.budget;
  summary["workers"] = outcome.workers;
  summary["wall_seconds"] = outcome.wall_seconds;
  int ok = 0, failed = 0, error = 0;
  for (const auto& r : outcome.records) {
    ok += r.status == TrialStatus::kOk;
    failed += r.status == TrialStatus::kFailed;
    error += r.status == TrialStatus::kError;
  }
  summary["evaluations"] = {{"ok", ok}, {"failed", failed}, {"error", error}};
  // Re-checks in the idle tail: measurements outside the budget (cancelled ones are errors).
  int recheck_ok = 0, recheck_failed = 0, recheck_error = 0;
  for (const auto& r : outcome.rechecks) {
    recheck_ok += r.status == TrialStatus::kOk;
    recheck_failed += r.status == TrialStatus::kFailed;
    recheck_error += r.status == TrialStatus::kError;
  }
  summary["rechecks"] = {{"ok", recheck_ok},
                         {"failed", recheck_failed},
                         {"error", recheck_error - outcome.rechecks_cancelled},
                         {"cancelled", outcome.rechecks_cancelled}};
  summary["approximated"] = outcome.approximated;
  summary["retries"] = outcome.retries;
  summary["busy_seconds"] = outcome.busy_seconds;
  summary["lost_workers"] = outcome.lost_workers;
  summary["gpu_time_saved"] = to_json(campaign_gpu_time_saved(config, outcome.records));
  summary["end"] = outcome.end == CampaignEnd::kBudget   ? "budget"
                   : outcome.end == CampaignEnd::kSignal ? "signal"
                                                         : "setup_broken";
  if (!outcome.message.empty()) summary["message"] = outcome.message;
  if (outcome.best) {
    summary["best"] = {{"id", outcome.best->id},
                       {"score", *outcome.best->score},
                       {"params", space.to_json(outcome.best->params)}};
  } else {
    summary["best"] = nullptr;
  }
  // "best" is the best observed (noisy) score; "recommended" the point a user should run.
  summary["recommended"] =
      outcome.recommended ? to_json(*outcome.recommended, space) : nlohmann::ordered_json();
  return summary;
}

}  // namespace

std::optional<double> trial_timeout_seconds(const ObjectiveConfig& objective) {
  switch (objective.kind) {
    case ObjectiveKind::kCommand:
      return objective.command.timeout_seconds;
    case ObjectiveKind::kLitgpt:
      return objective.litgpt.timeout_seconds;
    case ObjectiveKind::kBuiltin:
      break;
  }
  return std::nullopt;
}

GpuTimeSaved campaign_gpu_time_saved(const CampaignConfig& config,
                                     const std::vector<TrialRecord>& records) {
  std::vector<TrialGpuTime> trials;
  for (const TrialRecord& r : records) {
    if (r.retried || r.status == TrialStatus::kApproximated) continue;  // no result of a run
    trials.push_back(trial_gpu_time(r.status == TrialStatus::kOk, r.metrics));
  }
  return gpu_time_saved(trials, trial_timeout_seconds(config.objective));
}

std::string default_run_directory(const CampaignConfig& config) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("runs/{}-{:04}{:02}{:02}-{:02}{:02}{:02}", config.campaign.name,
                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                     utc.tm_sec);
}

void create_run_directory(const std::string& run_dir, const CampaignConfig& config) {
  std::error_code ec;
  // A directory without a journal holds no evaluation (a job killed while it started): reused.
  if (fs::exists(run_dir, ec) && !fs::is_empty(run_dir, ec) &&
      fs::exists(fs::path(run_dir) / "journal.jsonl", ec)) {
    throw std::runtime_error(run_dir +
                             " already exists and is not empty: choose another --out "
                             "(lorahpo never overwrites a campaign)");
  }
  fs::create_directories(fs::path(run_dir) / "trials", ec);
  if (ec) throw std::runtime_error("cannot create " + run_dir + ": " + ec.message());
  write_file(fs::path(run_dir) / "config.yaml", config.source_text);
}

void check_resumable(const std::string& run_dir) {
  const fs::path journal = fs::path(run_dir) / "journal.jsonl";
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    throw ConfigError(run_dir, 0, "--resume", "is not a directory: nothing to resume");
  }
  if (!fs::is_regular_file(journal, ec)) {
    throw ConfigError(run_dir, 0, "--resume",
                      "holds no journal.jsonl: not a lorahpo run directory, nothing to resume");
  }
}

namespace {

/// The campaign header of a journal to resume: the first "campaign" line (journal_codec.h),
/// written once at creation (a later job appends a "resume" line; a second header means two
/// campaigns in one file), of this lorahpo's format.
const JournalLine& resumable_header(const JournalContents& past, const std::string& journal_path,
                                    CampaignHeader* header) {
  const JournalLine* header_line = nullptr;
  for (const auto& line : past.lines) {
    if (line_type(nlohmann::ordered_json(line.value)) != JournalLineType::kCampaign) continue;
    if (header_line != nullptr) {
      throw ConfigError(journal_path, line.number, "event",
                        fmt::format("is a second campaign header (the first is line {}): two "
                                    "campaigns in one journal cannot be resumed",
                                    header_line->number));
    }
    header_line = &line;
  }
  if (header_line == nullptr || !header_line->value.contains("identity")) {
    throw ConfigError(journal_path, past.lines.empty() ? 1 : past.lines.front().number, "event",
                      "has no campaign header: not a lorahpo journal, or one too old to resume");
  }
  *header = decode_campaign_line(nlohmann::ordered_json(header_line->value), journal_path,
                                 header_line->number);
  // Before anything else reads the journal: a journal of another format is refused up front.
  check_format(*header, journal_path, header_line->number);
  return *header_line;
}

/// Refuses to resume with a config that is another campaign (campaign_identity.h); takes the
/// batch size and the optimizer's budget the campaign started with into `resolved`.
void check_same_campaign(const JournalLine& header_line, const CampaignHeader& header,
                         const CampaignConfig& config, const std::string& run_dir,
                         CampaignConfig* resolved) {
  const nlohmann::json& identity = header_line.value.at("identity");
  if (identity.contains("optimizer") && identity["optimizer"].contains("batch_size")) {
    resolved->optimizer.bo_gp.batch_size = identity["optimizer"]["batch_size"].get<int>();
  }
  const auto differences = identity_differences(
      identity, campaign_identity(config, resolved->optimizer.bo_gp.batch_size));
  if (!differences.empty()) {
    std::string list;
    for (const auto& d : differences) list += (list.empty() ? "" : "; ") + d;
    throw ConfigError(config.source_path, 0, "",
                      fmt::format("cannot resume {}: this config is another campaign ({}). Only "
                                  "campaign.budget, paths, timeouts and the failures and "
                                  "workers sections may change",
                                  run_dir, list));
  }
  // The optimizer is built as at the campaign's start: LHS sizes its design by the budget, and
  // a raised budget must not change the points already journaled.
  resolved->campaign.budget = header.optimizer_budget;
}

/// The journal of the campaign to resume, checked against `config` (which it updates into
/// `resolved`), its torn last line dropped; empty when there is nothing to resume (killed
/// before the header was durable: the campaign starts afresh).
std::optional<JournalContents> journal_to_resume(const CampaignConfig& config,
                                                 const std::string& run_dir,
                                                 CampaignConfig* resolved) {
  const std::string journal_path = run_dir + "/journal.jsonl";
  check_resumable(run_dir);
  JournalContents past = read_journal(journal_path);
  if (past.lines.empty()) {
    spdlog::warn("{} holds no complete line: the campaign starts from the beginning", journal_path);
    drop_torn_tail(journal_path, past);
    return std::nullopt;
  }
  CampaignHeader header;
  const JournalLine& header_line = resumable_header(past, journal_path, &header);
  check_same_campaign(header_line, header, config, run_dir, resolved);
  drop_torn_tail(journal_path, past);
  if (past.torn_tail) {
    spdlog::warn("{}: dropped a torn last line (a write cut short)", journal_path);
  }
  write_file(fs::path(run_dir) / "config.yaml", config.source_text);
  fs::remove(fs::path(run_dir) / "results.csv");
  return past;
}

/// What the end of a campaign says in the log: counts, GPU time saved, the best point.
void log_campaign_end(const CampaignConfig& config, const CampaignOutcome& outcome,
                      const nlohmann::ordered_json& summary, const std::string& run_dir) {
  spdlog::info("finished {} evaluations ({} ok, {} failed, {} error) in {:.1f} s on {} workers",
               outcome.records.size(), summary["evaluations"]["ok"].get<int>(),
               summary["evaluations"]["failed"].get<int>(),
               summary["evaluations"]["error"].get<int>(), outcome.wall_seconds, outcome.workers);
  if (!outcome.rechecks.empty()) {
    spdlog::info("re-checks in the idle tail: {} ok, {} cancelled, {} other (not in the budget)",
                 summary["rechecks"]["ok"].get<int>(), outcome.rechecks_cancelled,
                 outcome.rechecks.size() - summary["rechecks"]["ok"].get<std::size_t>() -
                     static_cast<std::size_t>(outcome.rechecks_cancelled));
  }
  const GpuTimeSaved saved = campaign_gpu_time_saved(config, outcome.records);
  if (saved.stopped_early > 0 && saved.reference_seconds) {
    spdlog::info("{} diverged trial(s) stopped early: {:.2f} GPU-hours saved (vs {:.0f} s, the {})",
                 saved.stopped_early, saved.gpu_hours(), *saved.reference_seconds,
                 saved.reference_from);
  } else if (saved.stopped_early > 0) {
    spdlog::info(
        "{} diverged trial(s) stopped early (GPU time saved unknown: no ok trial, no "
        "timeout)",
        saved.stopped_early);
  }
  if (outcome.best) {
    spdlog::info("best observed score {:.6g} (evaluation #{}, {})", *outcome.best->score,
                 outcome.best->id, to_string(config.campaign.direction));
  }
  if (const auto& r = outcome.recommended) {
    const std::string noiseless =
        r->noiseless ? fmt::format(", noiseless {:.6g}", *r->noiseless) : "";
    if (r->from_model) {
      spdlog::info(
          "recommended: evaluation #{}, GP posterior mean {:.6g} +- {:.2g} ({} measurement(s), "
          "observed mean {:.6g}{}):",
          r->id, r->mean, r->sd, r->measurements, r->observed_mean, noiseless);
    } else {
      spdlog::info(
          "recommended: evaluation #{}, the best observed mean {:.6g} ({} measurement(s){}; "
          "too few points for a model):",
          r->id, r->observed_mean, r->measurements, noiseless);
    }
    for (int i = 0; i < config.space.dim(); ++i) {
      spdlog::info("  {} = {}", config.space.parameter(i).name,
                   format_value(r->params[static_cast<std::size_t>(i)]));
    }
    const std::string replicates =
        r->noise.replicates
            ? fmt::format(
                  "; repeated measurements scatter by {:.3g} ({} point(s), {} degree(s) "
                  "of freedom)",
                  r->noise.replicates->sd, r->noise.replicates->points,
                  r->noise.replicates->degrees_of_freedom)
            : "";
    if (!r->from_model) {
      if (r->noise.replicates) spdlog::info("measurement noise: no GP{}", replicates);
    } else if (r->noise.sd) {
      spdlog::info("measurement noise given to the GP: sd {:.3g} ({}){}", *r->noise.sd,
                   to_string(r->noise.source), replicates);
    } else {
      spdlog::info("measurement noise: learned by the GP{}", replicates);
    }
  } else {
    spdlog::warn("no evaluation succeeded: see the reasons in {}/journal.jsonl", run_dir);
  }
  spdlog::info("journal: {}/journal.jsonl, table: {}/results.csv", run_dir, run_dir);
}

}  // namespace

CampaignOutcome run_campaign(const CampaignConfig& config, const std::string& run_dir,
                             Transport& transport, const Clock& clock, bool resume) {
  const std::string absolute = fs::absolute(run_dir).lexically_normal().string();
  const std::string journal_path = absolute + "/journal.jsonl";
  CampaignConfig resolved = config;
  if (resolved.optimizer.bo_gp.batch_size == 0) {
    resolved.optimizer.bo_gp.batch_size = transport.size() - 1;
  }
  std::optional<JournalContents> past;
  if (resume) past = journal_to_resume(config, absolute, &resolved);

  std::mt19937_64 rng(config.campaign.seed);
  const auto optimizer = make_optimizer(resolved, rng);
  Journal journal(absolute, config.space);

  SchedulerOptions options;
  options.budget = config.campaign.budget;
  options.direction = config.campaign.direction;
  options.trials_dir = absolute + "/trials";
  options.failures = config.failures;
  options.workers = config.workers;
  options.rechecks = config.rechecks;
  options.journal_path = journal_path;
  Scheduler scheduler(transport, clock, *optimizer, config.space, journal, options);

  if (past) {
    for (const auto& line : past->lines) {
      if (is_trial_line(line.value)) {
        journal.append_csv(trial_from_line(line, config.space, journal_path));
      }
    }
    scheduler.replay(past->lines);
    ResumeEvent event;
    event.time_unix = clock.unix_seconds();
    event.budget = config.campaign.budget;
    event.workers = transport.size() - 1;
    journal.append_event(resume_line(event));
  } else {
    CampaignHeader header;
    header.lorahpo_version = LORAHPO_VERSION;
    header.name = config.campaign.name;
    header.created_unix = clock.unix_seconds();
    header.budget = config.campaign.budget;
    header.optimizer_budget = resolved.campaign.budget;
    header.workers = transport.size() - 1;
    header.identity = campaign_identity(config, resolved.optimizer.bo_gp.batch_size);
    journal.append_event(campaign_line(header));
  }

  SetupMessage setup;
  setup.objective = config.objective;
  setup.space = config.space;
  setup.seed = config.campaign.seed;
  setup.config_dir = config.config_dir;
  setup.heartbeat_seconds = config.workers.heartbeat_seconds;

  spdlog::info("campaign {}: {} evaluations, optimizer {}, {} workers, objective {} -> {}",
               config.campaign.name, config.campaign.budget, optimizer->name(),
               transport.size() - 1, to_string(config.objective.kind), absolute);
  CampaignOutcome outcome = scheduler.run(setup);
  // Every measurement of a point counts, its re-checks too.
  std::vector<TrialRecord> measurements = outcome.records;
  measurements.insert(measurements.end(), outcome.rechecks.begin(), outcome.rechecks.end());
  const MeasurementNoise noise = measurement_noise(config, measurements);
  outcome.recommended = recommend(config.space, measurements, config.campaign.direction,
                                  config.campaign.seed, noise.sd);
  if (outcome.recommended) outcome.recommended->noise = noise;

  const auto summary = summary_json(config, config.space, outcome);
  write_file(fs::path(absolute) / "summary.json", summary.dump(2) + "\n");
  log_campaign_end(config, outcome, summary, absolute);
  return outcome;
}

}  // namespace lorahpo

// lorahpo: hyperparameter optimization of LoRA fine-tuning across an MPI cluster.
// Exit codes: 0 done; 1 runtime failure; 2 bad input (config, command line, a journal that does
// not fit, or a setup so broken that its evaluations keep failing); 99 stopped by SIGTERM, SIGINT
// or SIGUSR2 and resumable with --resume (OAR resubmits an idempotent job that exits 99); 3 the
// campaign is complete but some worker ranks went silent and the job was ended with MPI_Abort.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common/config_error.h"
#include "common/mpi_transport.h"
#include "common/signal_name.h"
#include "common/stop_signal.h"
#include "master/campaign/campaign.h"
#include "master/campaign/preflight.h"
#include "master/campaign/run_lock.h"
#include "master/config/config_loader.h"
#include "master/simulation/simulation.h"
#include "report/report_error.h"
#include "report/report_writer.h"
#include "report/run_reader.h"
#include "worker/node_check.h"
#include "worker/worker_loop.h"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLostWorkers = 3;
constexpr int kExitStopped = 99;
/// How long rank 0 waits for the workers' preflight reports: each check's commands have their
/// own timeouts (nvidia-smi 60 s, the interpreter 120 s); a rank silent longer than this hangs
/// on something else (a dead network file system) and is reported as failed.
constexpr std::chrono::milliseconds kPreflightReportTimeout{300'000};

void setup_logging(int rank) {
  auto logger = spdlog::stderr_color_mt("lorahpo");
  spdlog::set_default_logger(logger);
  if (rank == 0) {
    spdlog::set_pattern("[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
    spdlog::set_level(spdlog::level::info);
  } else {
    spdlog::set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S] [rank {}] [%^%l%$] %v", rank));
    spdlog::set_level(spdlog::level::warn);
  }
}

int validate_command(const std::string& config_path) {
  setup_logging(0);
  try {
    const auto config = lorahpo::load_config(config_path);
    std::cout << config_path << ": ok: campaign " << config.campaign.name << ", budget "
              << config.campaign.budget << ", " << config.space.dim() << " parameters, optimizer "
              << lorahpo::to_string(config.optimizer.kind) << ", "
              << lorahpo::to_string(config.objective.kind) << " objective\n";
    return 0;
  } catch (const lorahpo::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "error: " << config_path << ": " << e.what() << "\n";
    return kExitUsage;
  }
}

/// `lorahpo report RUN_DIR [--out DIR]`, `lorahpo report --compare RUN_A RUN_B ... --out DIR`:
/// reads run directories and writes Markdown and SVG, so it needs no MPI.
int report_command(const std::vector<std::string>& run_dirs, bool compare, std::string out_dir) {
  namespace report = lorahpo::report;
  try {
    if (compare) {
      if (out_dir.empty()) throw report::ReportError("report --compare needs --out DIR");
      std::vector<report::RunData> runs;
      for (const std::string& dir : run_dirs) runs.push_back(report::read_run(dir));
      const report::ReportFiles files = report::write_comparison(runs, out_dir);
      std::cout << "comparison of " << runs.size() << " runs: " << files.markdown << "\n";
      return 0;
    }
    if (run_dirs.size() != 1) {
      throw report::ReportError("report takes one run directory; compare several with --compare");
    }
    const report::RunData run = report::read_run(run_dirs.front());
    if (out_dir.empty()) out_dir = (std::filesystem::path(run_dirs.front()) / "report").string();
    const report::ReportFiles files = report::write_report(run, out_dir);
    std::cout << "report: " << files.markdown << " (" << files.figures.size() << " figures)\n";
    return 0;
  } catch (const std::exception& e) {  // ReportError, or a filesystem error writing the output
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  }
}

/// `lorahpo simulate CONFIG --workers P [--out DIR]`: the campaign's real master code on P
/// simulated workers and a virtual clock (master/simulation.h), so it needs no MPI.
int simulate_command(const std::string& config_path, std::string out_dir,
                     const lorahpo::SimulationOptions& options) {
  setup_logging(0);
  lorahpo::CampaignConfig config;
  try {
    config = lorahpo::load_config(config_path);
    lorahpo::check_simulation(config, options);
    if (out_dir.empty()) out_dir = lorahpo::default_run_directory(config) + "-sim";
    lorahpo::create_run_directory(out_dir, config);
  } catch (const std::exception& e) {  // ConfigError, or a run directory that exists
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    const lorahpo::SimulationResult result = lorahpo::run_simulation(config, out_dir, options);
    const double evaluations = result.mean_eval_seconds > 0.0
                                   ? result.outcome.wall_seconds / result.mean_eval_seconds
                                   : 0.0;
    const int decisions = std::max(1, result.stats.decisions);
    std::cout << fmt::format(
        "simulated {} evaluations on {} workers in {:.1f} s: makespan {:.1f} s ({:.2f} h, {:.2f} "
        "evaluation-times), utilization {:.3f}, master {:.3f} s per decision -> {}\n",
        result.outcome.records.size(), options.workers, result.real_seconds,
        result.outcome.wall_seconds, result.outcome.wall_seconds / 3600.0, evaluations,
        result.utilization, result.stats.master_seconds / decisions, out_dir);
    // What a simulation compares methods by: the true (noiseless) value of what they recommend,
    // beside that of the best noisy observation (the winner's curse).
    const auto& recommended = result.outcome.recommended;
    const auto& best = result.outcome.best;
    if (recommended && recommended->noiseless && best && best->metrics.contains("noiseless")) {
      std::cout << fmt::format(
          "recommended evaluation #{}: noiseless value {:.6g}; best observed score {:.6g} "
          "(evaluation #{}): noiseless value {:.6g}\n",
          recommended->id, *recommended->noiseless, *best->score, best->id,
          best->metrics["noiseless"].get<double>());
    }
    return result.outcome.end == lorahpo::CampaignEnd::kSetupBroken ? kExitUsage : 0;
  } catch (const lorahpo::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::critical("simulation aborted: {}", e.what());
    return kExitRuntime;
  }
}

/// `lorahpo preflight CONFIG`, under the same mpirun line as the campaign: rank 0 loads the config
/// (the errors of `run`), every worker rank checks its own node (worker/node_check.h) and rank 0
/// prints one row per host/rank on stdout and one "preflight: FAIL host/rank: check: detail" line
/// per failed check on stderr. Exit 0 when every check passed, 2 otherwise. With one rank (no
/// mpirun), rank 0 checks its own node.
int preflight_command(int* argc, char*** argv, const std::string& config_path) {
  lorahpo::MpiEnvironment mpi(argc, argv);
  lorahpo::MpiTransport transport;
  setup_logging(transport.rank());
  if (transport.rank() != 0) {
    lorahpo::answer_preflight(transport);
    return 0;
  }
  lorahpo::CampaignConfig config;
  try {
    config = lorahpo::load_config(config_path);
  } catch (const std::exception& e) {
    const bool config_error = dynamic_cast<const lorahpo::ConfigError*>(&e) != nullptr;
    std::cerr << "error: " << (config_error ? "" : config_path + ": ") << e.what() << "\n";
    for (int w = 1; w < transport.size(); ++w)
      transport.send(w, lorahpo::MessageTag::kShutdown, "");
    return kExitUsage;
  }
  const lorahpo::PreflightRequest request =
      lorahpo::preflight_request(config, lorahpo::default_run_directory(config));
  lorahpo::PreflightReports gathered;
  if (transport.size() == 1) {
    gathered.reports.push_back(lorahpo::check_node(request, lorahpo::host_name(), 0));
  } else {
    gathered = lorahpo::gather_node_reports(request, transport, kPreflightReportTimeout);
  }
  std::cout << lorahpo::preflight_table(gathered.reports) << std::flush;
  const std::vector<std::string> failures = lorahpo::preflight_failures(gathered.reports);
  for (const auto& failure : failures) std::cerr << "preflight: FAIL " << failure << "\n";
  std::cerr << std::flush;
  if (failures.empty()) {
    std::cout << "preflight: " << gathered.reports.size() << " rank(s) ok for " << config_path
              << "\n";
  }
  // A silent rank may never reach MPI_Finalize: end the job rather than let mpirun wait for it.
  if (!gathered.silent_ranks.empty()) lorahpo::MpiEnvironment::abort(kExitUsage);
  return failures.empty() ? 0 : kExitUsage;
}

/// How `lorahpo run` ends for the campaign's outcome: its exit code, after the messages that
/// say how to go on. Ends the MPI job itself (MPI_Abort) when workers were given up as silent.
int campaign_exit(const char* program, const std::string& config_path, const std::string& out_dir,
                  const lorahpo::CampaignOutcome& outcome) {
  if (!outcome.lost_workers.empty()) {
    // A worker that stopped answering may never call MPI_Finalize, and mpirun would wait for
    // it forever: the campaign is complete and journaled, so end the job here.
    spdlog::warn(
        "{} worker rank(s) were given up as silent: ending the MPI job with MPI_Abort "
        "so that mpirun does not wait for them",
        outcome.lost_workers.size());
    lorahpo::MpiEnvironment::abort(outcome.end == lorahpo::CampaignEnd::kSignal ? kExitStopped
                                   : outcome.end == lorahpo::CampaignEnd::kSetupBroken
                                       ? kExitUsage
                                       : kExitLostWorkers);
  }
  switch (outcome.end) {
    case lorahpo::CampaignEnd::kBudget:
      return 0;
    case lorahpo::CampaignEnd::kSetupBroken:
      spdlog::error("campaign stopped: {}", outcome.message);
      spdlog::error(
          "the journal is kept; after fixing the setup, continue with: {} run {} "
          "--resume {}",
          program, config_path, out_dir);
      return kExitUsage;
    case lorahpo::CampaignEnd::kSignal:
      spdlog::warn("campaign stopped on {}: {} evaluations done, all in {}/journal.jsonl",
                   lorahpo::signal_name(outcome.signal), outcome.records.size(), out_dir);
      spdlog::warn("resume with: mpirun <same options> {} run {} --resume {}", program, config_path,
                   out_dir);
      return kExitStopped;
  }
  return 0;
}

/// The run directory of `lorahpo run`: with --resume the one given, checked; else --out or the
/// default, created, never over an existing campaign. Locks it (`lock`) for this process.
/// Throws ConfigError, or std::runtime_error when it cannot be created or locked.
std::string open_run_directory(const lorahpo::CampaignConfig& config, std::string out_dir,
                               const std::string& resume_dir,
                               std::optional<lorahpo::RunLock>& lock) {
  if (!resume_dir.empty()) {
    lorahpo::check_resumable(resume_dir);
    lock.emplace(resume_dir);
    return resume_dir;
  }
  if (out_dir.empty()) out_dir = lorahpo::default_run_directory(config);
  if (std::filesystem::exists(std::filesystem::path(out_dir) / "journal.jsonl")) {
    throw lorahpo::ConfigError(out_dir, 0, "--out",
                               "holds a campaign already: continue it with --resume " + out_dir +
                                   " (lorahpo never overwrites a campaign)");
  }
  lorahpo::create_run_directory(out_dir, config);
  lock.emplace(out_dir);
  return out_dir;
}

int run_command(int* argc, char*** argv, const std::string& config_path, std::string out_dir,
                const std::string& resume_dir) {
  // Before MPI starts its threads, so that they inherit the handlers (OAR's SIGUSR2 reaches
  // every rank through mpirun).
  lorahpo::install_stop_signal_handlers();
  lorahpo::MpiEnvironment mpi(argc, argv);
  lorahpo::MpiTransport transport;
  setup_logging(transport.rank());

  if (transport.size() < 2) {
    spdlog::error(
        "lorahpo run needs at least 2 MPI ranks: rank 0 is the master, every other rank a "
        "worker. Start it with e.g. `mpirun -np 5 lorahpo run {}` (4 workers)",
        config_path);
    return kExitUsage;
  }
  if (transport.rank() != 0) {
    lorahpo::run_worker(transport);
    return 0;
  }

  const auto stop_workers = [&] {
    for (int w = 1; w < transport.size(); ++w) {
      transport.send(w, lorahpo::MessageTag::kShutdown, "");
    }
  };
  lorahpo::CampaignConfig config;
  const bool resume = !resume_dir.empty();
  std::optional<lorahpo::RunLock> lock;  // held until the campaign's last line is written
  try {
    config = lorahpo::load_config(config_path);
    out_dir = open_run_directory(config, out_dir, resume_dir, lock);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    stop_workers();
    return kExitUsage;
  }
  lorahpo::CampaignOutcome outcome;
  try {
    outcome = lorahpo::run_campaign(config, out_dir, transport, lorahpo::system_clock(), resume);
  } catch (const lorahpo::ConfigError& e) {
    spdlog::error("{}", e.what());
    stop_workers();
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::critical("campaign aborted: {}", e.what());
    spdlog::critical(
        "every finished evaluation is in {}/journal.jsonl; continue with: {} run {} "
        "--resume {}",
        out_dir, (*argv)[0], config_path, out_dir);
    lorahpo::MpiEnvironment::abort(kExitRuntime);
  }
  return campaign_exit((*argv)[0], config_path, out_dir, outcome);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lorahpo: tunes the hyperparameters of LoRA fine-tuning across an MPI cluster.\n"
      "Rank 0 hosts the optimizer; every other rank is a worker that evaluates points."};
  app.set_version_flag("--version", std::string("lorahpo ") + LORAHPO_VERSION);
  app.require_subcommand(1);

  std::string config_path;
  std::string out_dir;
  auto* run =
      app.add_subcommand("run", "run a campaign (under mpirun: rank 0 master, others workers)");
  run->add_option("config", config_path, "campaign YAML file")->required();
  run->add_option("--out", out_dir, "run directory (default: runs/<name>-<time>)");
  std::string resume_dir;
  run->add_option("--resume", resume_dir,
                  "continue the campaign in this run directory: finished evaluations are not run "
                  "again")
      ->excludes("--out");

  std::string validate_path;
  auto* validate = app.add_subcommand("validate", "check a campaign file without running anything");
  validate->add_option("config", validate_path, "campaign YAML file")->required();

  std::string simulate_path;
  std::string simulate_out;
  lorahpo::SimulationOptions simulate_options;
  auto* simulate = app.add_subcommand(
      "simulate",
      "run a campaign's master on simulated workers and a virtual clock (no MPI, no waiting)");
  simulate->add_option("config", simulate_path, "campaign YAML file (builtin objective)")
      ->required();
  simulate->add_option("--workers", simulate_options.workers, "number of simulated workers")
      ->required();
  simulate->add_option("--out", simulate_out, "run directory (default: runs/<name>-<time>-sim)");
  simulate->add_option("--time-scale", simulate_options.training_time_scale,
                       "lora_surrogate: simulated seconds per hour of real training (default "
                       "3600: the real 52-68 min; the config's time_scale mimics `run`)");
  simulate->add_option("--eval-seconds", simulate_options.eval_seconds,
                       "every evaluation lasts this many seconds (overrides the cost models)");
  simulate->add_option("--master-time-scale", simulate_options.master_time_scale,
                       "factor on the master's measured compute time added to the clock "
                       "(default 1; 0: a master that takes no time)");
  simulate->add_option("--setup-seconds", simulate_options.setup_seconds,
                       "seconds each worker needs after its setup before its first evaluation "
                       "(default 0)");

  std::string preflight_path;
  auto* preflight = app.add_subcommand(
      "preflight",
      "check every worker's node before a campaign (under the campaign's mpirun line): GPUs, "
      "litgpt and lm_eval versions, checkpoint, disk, cached datasets; exit 2 on any failure");
  preflight->add_option("config", preflight_path, "campaign YAML file")->required();

  std::vector<std::string> report_dirs;
  bool report_compare = false;
  std::string report_out;
  auto* report = app.add_subcommand(
      "report", "write report.md and SVG figures for a run directory (no MPI needed)");
  report->add_option("run_dirs", report_dirs, "run directory (several with --compare)")->required();
  report->add_flag("--compare", report_compare,
                   "overlay the best-so-far curves of several runs (needs --out)");
  report->add_option("--out", report_out, "output directory (default: RUN_DIR/report)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "error: " << e.what() << " (see lorahpo --help)\n";
    return kExitUsage;
  }
  if (*validate) return validate_command(validate_path);
  if (*simulate) return simulate_command(simulate_path, simulate_out, simulate_options);
  if (*report) return report_command(report_dirs, report_compare, report_out);
  if (*preflight) return preflight_command(&argc, &argv, preflight_path);
  return run_command(&argc, &argv, config_path, out_dir, resume_dir);
}

// lorahpo: hyperparameter optimization of LoRA fine-tuning across an MPI cluster.
// Exit codes: 0 done; 1 runtime failure; 2 bad config or command line.

#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/config_error.h"
#include "common/mpi_transport.h"
#include "master/campaign.h"
#include "master/config_loader.h"
#include "worker/worker_loop.h"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

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
              << config.optimizer.name << ", " << lorahpo::to_string(config.objective.kind)
              << " objective\n";
    return 0;
  } catch (const lorahpo::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  }
}

int run_command(int* argc, char*** argv, const std::string& config_path, std::string out_dir) {
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
  try {
    config = lorahpo::load_config(config_path);
    if (out_dir.empty()) out_dir = lorahpo::default_run_directory(config);
    lorahpo::create_run_directory(out_dir, config);
  } catch (const lorahpo::ConfigError& e) {
    spdlog::error("{}", e.what());
    stop_workers();
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    stop_workers();
    return kExitUsage;
  }
  try {
    lorahpo::run_campaign(config, out_dir, transport);
  } catch (const std::exception& e) {
    spdlog::critical("campaign aborted: {}", e.what());
    spdlog::critical("every finished evaluation is in {}/journal.jsonl", out_dir);
    lorahpo::MpiEnvironment::abort(kExitRuntime);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lorahpo: tunes the hyperparameters of LoRA fine-tuning across an MPI cluster.\n"
               "Rank 0 hosts the optimizer; every other rank is a worker that evaluates points."};
  app.set_version_flag("--version", std::string("lorahpo ") + LORAHPO_VERSION);
  app.require_subcommand(1);

  std::string config_path;
  std::string out_dir;
  auto* run = app.add_subcommand("run", "run a campaign (under mpirun: rank 0 master, others workers)");
  run->add_option("config", config_path, "campaign YAML file")->required();
  run->add_option("--out", out_dir, "run directory (default: runs/<name>-<time>)");

  std::string validate_path;
  auto* validate = app.add_subcommand("validate", "check a campaign file without running anything");
  validate->add_option("config", validate_path, "campaign YAML file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (*validate) return validate_command(validate_path);
  return run_command(&argc, &argv, config_path, out_dir);
}

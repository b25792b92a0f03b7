#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/messages.h"
#include "common/transport.h"

namespace lorahpo {

/// One check of one node, e.g. {"gpus", false, "3 GPUs visible, objective.devices = 4"}.
struct NodeCheck {
  std::string name;
  bool ok = true;
  std::string detail;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, ok, detail);
  }
};

/// A worker rank's answer to `lorahpo preflight`: where it runs and its checks, in a fixed order.
struct NodeReport {
  std::string host;
  int rank = -1;
  std::vector<NodeCheck> checks;

  bool ok() const;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(host, rank, checks);
  }
};

/// Rank 0 -> each worker: the setup message a campaign would send, and the trial directory a
/// first trial would get, so that the objective's templates expand as in the campaign.
struct PreflightRequest {
  SetupMessage setup;
  std::string trial_dir;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(setup, trial_dir);
  }
};

/// A release number, major.minor.patch; what follows (".1", ".dev0", "rc1") is ignored.
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
};
bool operator<(const Version& a, const Version& b);
std::string to_string(const Version& version);
/// The leading "X.Y[.Z]" of `text`; nullopt when it has none.
std::optional<Version> parse_version(const std::string& text);

/// Both ends included.
struct VersionRange {
  Version low;
  Version high;
  bool contains(const Version& v) const { return !(v < low) && !(high < v); }
};
/// The litgpt releases lorahpo's trial config, commands and result parsing were read against
/// (litgpt v0.5.10-v0.5.13 read upstream; README "Preflight" documents the range).
constexpr VersionRange kSupportedLitgpt{{0, 5, 10}, {0, 5, 13}};
/// lm_eval 0.4.x from 0.4.2: litgpt v0.5.10-v0.5.13's pyproject.toml asks lm-eval>=0.4.2 (and
/// excludes 0.4.9.1; v0.5.12 on: below it), and the results.json layout lorahpo reads is 0.4's.
constexpr VersionRange kSupportedLmEval{{0, 4, 2}, {0, 4, 999}};

/// The versions of Python distributions installed where a console script runs.
struct InstalledVersions {
  std::map<std::string, std::string> versions;  ///< distribution -> version; absent: not installed
  std::string source;  ///< how they were found (the interpreter, or the dist-info directory)
  std::string error;   ///< non-empty when they could not be found at all
};

/// litgpt's command line has no version flag (v0.5.10-v0.5.13 litgpt/__main__.py: jsonargparse
/// CLI over the subcommands only), and `litgpt` is a console script whose first line names its
/// interpreter (pyproject.toml scripts.litgpt = "litgpt.__main__:main", installed by pip with a
/// "#!<venv>/bin/python" line). So the versions are asked of that interpreter with
/// importlib.metadata.version (which reads the installed dist-info, no torch import: seconds,
/// not a minute); when the script has no Python "#!" line, or the interpreter fails, from
/// <script dir>/../lib/python*/site-packages/<name>-<version>.dist-info (a virtual environment's
/// layout; the directory name carries the version, as METADATA's "Version:" line does).
InstalledVersions installed_versions(const std::string& script,
                                     const std::vector<std::string>& distributions,
                                     const std::vector<std::string>& environment,
                                     double timeout_seconds = 120.0);

/// Check names, one column each in preflight's table.
inline constexpr const char* kCheckGpus = "gpus";
inline constexpr const char* kCheckLitgpt = "litgpt";
inline constexpr const char* kCheckLmEval = "lm_eval";
inline constexpr const char* kCheckCheckpoint = "checkpoint";
inline constexpr const char* kCheckDisk = "disk";
inline constexpr const char* kCheckDatasets = "datasets";
inline constexpr const char* kCheckCommand = "command";
inline constexpr const char* kCheckObjective = "objective";

/// The disk a trial needs in its work directory: the merged model (out/final/lit_model.pth, the
/// size of the base checkpoint's lit_model.pth) and `litgpt evaluate`'s converted copy of it
/// (model.safetensors or pytorch_model.bin, the same size again) exist at the same time, plus
/// kDiskMarginBytes for the LoRA weights (up to ~0.85 GB at lora_r 512 on Llama-3.2-3B), logs and
/// lm_eval's results.
inline constexpr double kDiskCheckpointCopies = 2.0;
inline constexpr std::uintmax_t kDiskMarginBytes = std::uintmax_t{1} << 30;

/// GPUs visible to the trial (`nvidia-smi -L` under the trial's environment,
/// worker/gpu_inventory.h)
/// == objective.devices.
NodeCheck check_gpus(const LitgptObjective& objective, const std::vector<std::string>& environment);
/// `distribution`'s version among `installed` lies in `range`.
NodeCheck check_version(const char* name, const std::string& distribution,
                        const InstalledVersions& installed, const VersionRange& range);
/// The files litgpt v0.5.13 utils.py check_valid_checkpoint_dir() requires before it trains or
/// evaluates: lit_model.pth, model_config.yaml, tokenizer.json or tokenizer.model, and
/// tokenizer_config.json.
NodeCheck check_checkpoint(const std::string& checkpoint_dir);
/// The file system holding `work_dir` (its nearest existing ancestor: the trial creates it) is
/// writable and has kDiskCheckpointCopies x size(checkpoint_dir/lit_model.pth) + kDiskMarginBytes
/// free for an unprivileged user (statvfs f_bavail).
NodeCheck check_disk(const std::string& work_dir, const std::string& checkpoint_dir);
/// When the trial's environment turns Hugging Face's offline mode on, lm_eval can only load what
/// the datasets cache holds: each task's dataset (and for MMLU each subject's config) must be
/// there. See node_check.cpp for the rule; tasks it does not know are reported, not failed.
NodeCheck check_datasets(const std::vector<std::string>& tasks,
                         const std::vector<std::string>& environment);

/// Every check that applies to the request's objective, on this node.
NodeReport check_node(const PreflightRequest& request, const std::string& host, int rank);

/// This machine's host name ("unknown" if it has none).
std::string host_name();

/// A worker rank's part in `lorahpo preflight`: waits for rank 0's request, checks this node,
/// sends the report and returns (or returns on a shutdown: rank 0 refused the config).
void answer_preflight(Transport& transport);

}  // namespace lorahpo

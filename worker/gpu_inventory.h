#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/messages.h"

namespace lorahpo {

/// What `nvidia-smi -L` lists: one "GPU <n>: <name> (UUID: GPU-...)" line per physical GPU, and
/// under a GPU in MIG mode one indented "MIG <profile> Device <n>: (UUID: MIG-...)" line per MIG
/// device (NVIDIA's nvidia-smi(1) manual, option -L / --list-gpus: "List each of the NVIDIA GPUs
/// in the system, along with their UUIDs"). MIG devices are not GPUs of their own: the trial's
/// `devices` counts GPUs (FSDP over the node's GPUs), so they are listed apart.
struct GpuListing {
  std::vector<std::string>
      gpu_uuids;  ///< one per "GPU n:" line, in order ("" if the line has none)
  std::vector<std::string> mig_uuids;  ///< one per MIG device line
  int gpus() const { return static_cast<int>(gpu_uuids.size()); }
};

/// Parses `nvidia-smi -L` output; lines of any other shape are ignored.
GpuListing parse_gpu_listing(const std::string& text);

/// How many of the listed GPUs a CUDA process sees with CUDA_VISIBLE_DEVICES = `visible`
/// (nullopt: the variable is unset, every GPU is visible). nvidia-smi talks to NVML, which ignores
/// CUDA_VISIBLE_DEVICES, so the variable is applied here the way the CUDA runtime reads it (CUDA
/// C++ Programming Guide, "CUDA Environment Variables"): a comma-separated list of indices or
/// UUIDs ("GPU-..." or "MIG-...", a unique prefix is enough); the first invalid entry ends the
/// list, only the devices before it are visible; an empty value hides every device. An entry
/// naming a device already counted is not counted twice.
int cuda_visible_count(const GpuListing& listing, const std::optional<std::string>& visible);

/// The result of looking at a node's GPUs as a trial would see them.
struct GpuCount {
  bool listed = false;  ///< nvidia-smi ran and exited 0; otherwise `error` says why not
  std::string error;
  int visible = 0;  ///< GPUs visible under the environment's CUDA_VISIBLE_DEVICES
  int total = 0;    ///< GPUs on the node (nvidia-smi -L)
  int mig_devices = 0;
};

/// Runs `nvidia-smi -L` (PATH lookup in `environment`, which is the child's whole environment:
/// the trial's) with a timeout and counts the GPUs that the environment's CUDA_VISIBLE_DEVICES
/// leaves visible.
GpuCount count_visible_gpus(const std::vector<std::string>& environment,
                            double timeout_seconds = 60.0);

/// The environment a LitGPT trial's children get for this request: the cleaned environment
/// (no MPI or scheduler variables), LORAHPO_TRIAL_*, CUDA_VISIBLE_DEVICES and the objective's
/// `env` with its placeholders expanded, as worker/litgpt_evaluator.cpp builds it. Throws
/// std::invalid_argument on a template the loader should have refused.
std::vector<std::string> litgpt_trial_environment(const LitgptObjective& objective,
                                                  const EvaluateMessage& request,
                                                  const std::string& config_dir);

/// The node-fault check a worker makes before each LitGPT trial: a message starting with
/// "node fault: " when the GPUs the trial would see are not objective.devices (or cannot be
/// listed), nullopt when they match. A node with a dead GPU must not make every point it runs
/// `failed` and blamed on its hyperparameters: its outcome is an infrastructure `error`, retried
/// on another worker, and rank 0 gives this one no more work (common/messages.h is_node_fault;
/// NOMAD's failed/erroneous distinction).
std::optional<std::string> gpu_node_fault(const LitgptObjective& objective,
                                          const EvaluateMessage& request,
                                          const std::string& config_dir);

}  // namespace lorahpo

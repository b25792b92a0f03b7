#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lorahpo {

/// How a short command run for its output ended.
struct CapturedCommand {
  bool exited_zero = false;
  std::string output;  ///< stdout
  std::string error;   ///< why it did not exit 0 (spawn failure, exit code, signal, timeout),
                       ///< with the last line of its stderr; empty when it did
};

/// The value of `name` in a "KEY=value" environment list; nullopt when absent.
std::optional<std::string> environment_value(const std::vector<std::string>& environment,
                                             const std::string& name);

/// Where `program` is found: itself when it contains a '/', else the first executable regular
/// file of that name in the environment's PATH (execvp's search, done with the child's PATH
/// rather than this process's, so that an objective's `env: {PATH: ...}` is honoured).
std::optional<std::string> find_executable(const std::string& program,
                                           const std::vector<std::string>& environment);

/// Runs argv (argv[0] looked up with find_executable) with exactly `environment`, in its own
/// process group, killed after `timeout_seconds`; stdout and stderr go through temporary files
/// that are removed afterwards. For the quick probes of a node check (nvidia-smi, python -c).
CapturedCommand run_captured(std::vector<std::string> argv,
                             const std::vector<std::string>& environment, double timeout_seconds);

}  // namespace lorahpo

#pragma once
// Helpers of the end-to-end tests: run the real `lorahpo` binary under mpirun as a user does.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/journal_lines.h"

namespace lorahpo::e2e {

namespace fs = std::filesystem;

/// The rank count the CMake helper registered this test for (LORAHPO_TEST_RANKS).
inline int ranks() {
  const char* text = std::getenv("LORAHPO_TEST_RANKS");
  return text ? std::atoi(text) : 3;
}

struct RunResult {
  int exit_code = -1;
  std::string output;
};

/// Runs a shell command line, capturing stdout and stderr together.
inline RunResult run(const std::string& command) {
  RunResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) result.output += buffer;
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// `mpirun -np N lorahpo` with the flags a single machine needs.
inline std::string mpirun(int np) {
  return std::string(LORAHPO_MPIEXEC) + " -np " + std::to_string(np) +
         " --oversubscribe --allow-run-as-root " + LORAHPO_BINARY;
}

/// An empty directory of this test's own (rank count and process in its name).
inline fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() /
      ("lorahpo_e2e_" + name + "_np" + std::to_string(ranks()) + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

/// The evaluation lines of a run's journal, in order (campaign events left out).
inline std::vector<nlohmann::json> read_journal(const fs::path& run_dir) {
  return testing_support::journal_evaluations(run_dir);
}

inline std::string read_file(const fs::path& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

}  // namespace lorahpo::e2e

#include "worker/captured_command.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "worker/child_process.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

/// A fresh file in the temporary directory (mkstemp), closed; removed by the caller.
std::string temporary_file(const char* stem) {
  std::string pattern =
      (fs::temp_directory_path() / (std::string("lorahpo-") + stem + "-XXXXXX")).string();
  const int fd = mkstemp(pattern.data());
  if (fd >= 0) close(fd);
  return pattern;
}

}  // namespace

std::optional<std::string> environment_value(const std::vector<std::string>& environment,
                                             const std::string& name) {
  const std::string prefix = name + "=";
  std::optional<std::string> value;
  for (const auto& entry : environment) {  // the last one wins, as with putenv
    if (entry.compare(0, prefix.size(), prefix) == 0) value = entry.substr(prefix.size());
  }
  return value;
}

std::optional<std::string> find_executable(const std::string& program,
                                           const std::vector<std::string>& environment) {
  if (program.empty()) return std::nullopt;
  const auto is_executable = [](const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) {
    if (is_executable(program)) return program;
    return std::nullopt;
  }
  // execvp's default search path when PATH is unset (glibc: confstr(_CS_PATH)).
  const std::string path = environment_value(environment, "PATH").value_or("/bin:/usr/bin");
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end > begin ? path.substr(begin, end - begin) : ".";
    const fs::path candidate = fs::path(dir) / program;
    if (is_executable(candidate)) return candidate.string();
    begin = end + 1;
  }
  return std::nullopt;
}

CapturedCommand run_captured(std::vector<std::string> argv,
                             const std::vector<std::string>& environment, double timeout_seconds) {
  CapturedCommand result;
  if (argv.empty()) {
    result.error = "empty command";
    return result;
  }
  const auto resolved = find_executable(argv.front(), environment);
  if (!resolved) {
    result.error = fmt::format("{}: not found in PATH", argv.front());
    return result;
  }
  const std::string name = argv.front();
  argv.front() = *resolved;
  ChildSpec spec;
  spec.argv = std::move(argv);
  spec.environment = environment;
  spec.stdout_path = temporary_file("out");
  spec.stderr_path = temporary_file("err");
  spec.timeout_seconds = timeout_seconds;
  spec.kill_grace_seconds = 1.0;
  const ChildExit exit = run_child(spec);
  result.output = read_text(spec.stdout_path);
  // nvidia-smi prints its failures ("NVIDIA-SMI has failed because it couldn't communicate with
  // the NVIDIA driver...") on stdout: the reason is stderr's last line, else stdout's.
  std::string last = last_line_of(spec.stderr_path);
  if (last.empty()) last = last_line_of(spec.stdout_path);
  std::error_code ec;
  fs::remove(spec.stdout_path, ec);
  fs::remove(spec.stderr_path, ec);
  const std::string said =
      last.empty() ? "" : ": " + (last.size() > 200 ? last.substr(0, 200) + "..." : last);
  switch (exit.kind) {
    case ChildExit::Kind::kExited:
      if (exit.exit_code == 0) {
        result.exited_zero = true;
      } else {
        result.error = fmt::format("{} exited with code {}{}", name, exit.exit_code, said);
      }
      break;
    case ChildExit::Kind::kSignaled:
      result.error = fmt::format("{} killed by signal {}{}", name, exit.signal, said);
      break;
    case ChildExit::Kind::kTimedOut:
      result.error = fmt::format("{} timed out after {} s", name, timeout_seconds);
      break;
    case ChildExit::Kind::kSpawnFailed:
      result.error = fmt::format("{}: {}", name, exit.error);
      break;
    case ChildExit::Kind::kCancelled:
      result.error = fmt::format("{}: cancelled", name);
      break;
    case ChildExit::Kind::kStopped:  // no stop_check is set here; kept for the switch's
                                     // completeness
      result.error = fmt::format("{}: stopped: {}", name, exit.stop_reason);
      break;
  }
  return result;
}

}  // namespace lorahpo

#include "worker/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "worker/evaluation_watch.h"

extern char** environ;

namespace lorahpo {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// What the wait loop watches besides the child's end.
struct Watch {
  bool cancel = false;  ///< poll the evaluation watch (worker/evaluation_watch.h)
  const std::function<std::optional<std::string>()>* stop_check = nullptr;
  Clock::duration stop_check_interval{};
  std::optional<std::string>* stop_reason = nullptr;  ///< set when stop_check gave a reason
};

/// Polls waitpid until the child ends, `deadline` passes, the evaluation is cancelled or
/// stop_check gives a reason (as `watch` says); returns true when reaped.
bool wait_until(pid_t pid, int* status, Clock::time_point deadline, const Watch& watch = {}) {
  auto pause = std::chrono::milliseconds(1);
  auto next_check = Clock::now() + watch.stop_check_interval;
  while (true) {
    const pid_t done = waitpid(pid, status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;  // not our child any more: nothing to wait for
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (watch.cancel && evaluation_cancelled()) return false;
    if (watch.stop_check && now >= next_check) {
      if (auto reason = (*watch.stop_check)()) {
        *watch.stop_reason = std::move(reason);
        return false;
      }
      next_check = now + watch.stop_check_interval;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

/// Closes the descriptors first..last (inclusive) below open_max, in the child after fork().
/// close_range(2) by syscall(): glibc wraps it only since 2.34 and Debian 11 has 2.31; the
/// kernel has it since Linux 5.9 (Debian 11 runs 5.10). On an older kernel (ENOSYS) each
/// descriptor is closed in turn.
void close_descriptors(unsigned first, unsigned last, long open_max) {
  if (first > last) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0U) == 0) return;
#endif
  for (long fd = first; fd <= static_cast<long>(last) && fd < open_max; ++fd) {
    close(static_cast<int>(fd));
  }
}

/// In the child after fork(): only async-signal-safe calls until exec. open_max: the soft
/// RLIMIT_NOFILE, read before fork().
[[noreturn]] void exec_child(const ChildSpec& spec, char* const* argv, char* const* envp,
                             int error_pipe, long open_max) {
  setpgid(0, 0);
  // Default signal dispositions: the worker may ignore or catch some.
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  auto fail = [&](const char* what) {
    const int code = errno;
    const char* text = strerror(code);
    ssize_t ignored = write(error_pipe, what, strlen(what));
    ignored = write(error_pipe, ": ", 2);
    ignored = write(error_pipe, text, strlen(text));
    (void)ignored;
    _exit(127);
  };
  const int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0) fail("cannot open /dev/null");
  const int out = open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || dup2(out, STDOUT_FILENO) < 0) fail("cannot open stdout file");
  const int err = open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err < 0 || dup2(err, STDERR_FILENO) < 0) fail("cannot open stderr file");
  if (!spec.working_dir.empty() && chdir(spec.working_dir.c_str()) != 0) {
    fail("cannot enter the trial directory");
  }
  // Nothing of the worker (MPI's sockets, the journal) leaks into the training process: every
  // descriptor above stderr is closed except the pipe that reports a failed exec (close-on-exec).
  if (error_pipe > 3) close_descriptors(3, static_cast<unsigned>(error_pipe) - 1, open_max);
  close_descriptors(static_cast<unsigned>(error_pipe) + 1, ~0U, open_max);
  execvpe(argv[0], argv, envp);
  fail("cannot execute");
  _exit(127);
}

/// What the exec-error pipe carried: nothing when the exec succeeded (the pipe closes on a
/// successful exec, O_CLOEXEC), else the reason exec_child wrote.
std::string read_exec_error(int fd) {
  std::string error;
  char buffer[512];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    error.append(buffer, static_cast<std::size_t>(n));
  }
  return error;
}

/// How the wait for a child ended.
struct ChildEnd {
  int status = 0;  ///< waitpid's
  bool timed_out = false;
  bool cancelled = false;
  std::optional<std::string> stop_reason;  ///< spec.stop_check's reason
};

/// Waits for the child (group `pid`) until it ends, its timeout passes, the evaluation is
/// cancelled or spec.stop_check gives a reason; in the last three cases SIGTERM to the group,
/// then SIGKILL after spec.kill_grace_seconds. Leftovers of the group (a launcher's children)
/// are killed in every case: they die with the evaluation.
ChildEnd wait_for_child(pid_t pid, const ChildSpec& spec, Clock::time_point start) {
  ChildEnd end;
  const auto deadline = spec.timeout_seconds > 0
                            ? start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(spec.timeout_seconds))
                            : Clock::time_point::max();
  Watch watch;
  watch.cancel = true;
  if (spec.stop_check) {
    watch.stop_check = &spec.stop_check;
    watch.stop_check_interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::max(spec.stop_check_interval_seconds, 0.01)));
    watch.stop_reason = &end.stop_reason;
  }
  if (!wait_until(pid, &end.status, deadline, watch)) {
    end.cancelled = !end.stop_reason && Clock::now() < deadline;
    end.timed_out = !end.stop_reason && !end.cancelled;
    kill(-pid, SIGTERM);
    const auto grace = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(spec.kill_grace_seconds));
    if (!wait_until(pid, &end.status, grace)) {
      kill(-pid, SIGKILL);
      waitpid(pid, &end.status, 0);
    }
  }
  kill(-pid, SIGKILL);
  return end;
}

/// The kind of exit (and its signal, exit code or stop reason) of a child that was started.
void describe_end(ChildEnd end, ChildExit& result) {
  if (end.stop_reason) {
    result.kind = ChildExit::Kind::kStopped;
    result.stop_reason = std::move(*end.stop_reason);
  } else if (end.cancelled) {
    result.kind = ChildExit::Kind::kCancelled;
  } else if (end.timed_out) {
    result.kind = ChildExit::Kind::kTimedOut;
  } else if (WIFSIGNALED(end.status)) {
    result.kind = ChildExit::Kind::kSignaled;
    result.signal = WTERMSIG(end.status);
  } else {
    result.kind = ChildExit::Kind::kExited;
    result.exit_code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : -1;
  }
}

}  // namespace

ChildExit run_child(const ChildSpec& spec) {
  ChildExit result;
  if (spec.argv.empty()) {
    result.kind = ChildExit::Kind::kSpawnFailed;
    result.error = "empty command";
    return result;
  }
  // Everything exec needs is built before fork: allocation is not safe in the child.
  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : spec.environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.kind = ChildExit::Kind::kSpawnFailed;
    result.error = std::string("pipe: ") + strerror(errno);
    return result;
  }
  rlimit files{};
  const long open_max = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                            ? static_cast<long>(files.rlim_cur)
                            : 1L << 20;
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    result.kind = ChildExit::Kind::kSpawnFailed;
    result.error = std::string("fork: ") + strerror(errno);
    return result;
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    exec_child(spec, argv.data(), envp.data(), pipe_fds[1], open_max);
  }
  setpgid(pid, pid);  // also from the parent: no race with a kill before the child ran setpgid
  close(pipe_fds[1]);

  const std::string exec_error = read_exec_error(pipe_fds[0]);
  close(pipe_fds[0]);
  const ChildEnd end = wait_for_child(pid, spec, start);
  result.seconds = seconds_since(start);
  if (!exec_error.empty()) {
    result.kind = ChildExit::Kind::kSpawnFailed;
    result.error = exec_error;
  } else {
    describe_end(end, result);
  }
  return result;
}

std::vector<std::string> clean_environment() {
  static const char* const kDropped[] = {"OMPI_", "PMIX_", "ORTE_", "OPAL_", "SLURM_", "PMI_"};
  std::vector<std::string> entries;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text(*entry);
    bool drop = false;
    for (const char* prefix : kDropped) drop = drop || text.rfind(prefix, 0) == 0;
    if (!drop) entries.push_back(text);
  }
  return entries;
}

std::string last_line_of(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  const std::streamoff size = info.st_size;
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  file.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  file.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(
      static_cast<std::size_t>(std::max<std::streamsize>(file.gcount(), 0)));  // it may have shrunk
  std::size_t end = tail.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return {};
  const std::size_t begin = tail.rfind('\n', end);
  return tail.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace lorahpo

#pragma once

// Run directories written by the tests: a journal of chosen lines, optionally summary.json and
// config.yaml, in a fresh temporary directory removed at the end of the test.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace lorahpo::report::testing {

namespace fs = std::filesystem;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            fmt::format("lorahpo_report_{}_{}_{}", getpid(), info->test_suite_name(), info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  /// A run directory `name` under the test's root with these journal lines (each followed by a
  /// newline unless `torn_tail`, which is appended without one).
  fs::path make_run(const std::string& name, const std::vector<std::string>& lines,
                    const std::string& torn_tail = "") const {
    const fs::path dir = root_ / name;
    fs::create_directories(dir / "trials");
    std::ofstream journal(dir / "journal.jsonl", std::ios::binary);
    for (const std::string& line : lines) journal << line << "\n";
    journal << torn_tail;
    return dir;
  }

  static void write(const fs::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
  }

  static std::string read(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  fs::path root_;
};

/// A trial line as the journal writes it: start at `start` seconds after 2026-01-01T00:00:00Z.
inline std::string trial_line(int id, const std::string& status, const std::string& score,
                              int worker, double start, double end, const std::string& params,
                              const std::string& extra = "") {
  const auto stamp = [](double s) {
    const int whole = static_cast<int>(s);
    return fmt::format("2026-01-01T{:02}:{:02}:{:02}.{:03}Z", whole / 3600, whole / 60 % 60,
                       whole % 60, static_cast<int>((s - whole) * 1000.0 + 0.5));
  };
  return fmt::format(
      R"({{"id":{},"status":"{}","score":{},"reason":"{}","params":{},"unit":[],"worker":{},"host":"node{}","start":"{}","end":"{}","duration":{}{}}})",
      id, status, score, status == "ok" ? "" : "exit status 1: CUDA out of memory", params, worker,
      worker, stamp(start), stamp(end), end - start, extra);
}

}  // namespace lorahpo::report::testing

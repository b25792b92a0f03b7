#pragma once
// Test helper: a fresh temporary folder for one test, removed afterwards.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace lorahpo::testing_support {

/// <temp>/lorahpo_<kind>_<pid>_<test name>: emptied and created on construction, removed with the
/// object. The pid keeps parallel runs apart (ctest -j, several binaries); the test's name keeps
/// one test's leftovers (after a crash) out of the next one's way. Construct it inside a test or
/// a fixture (the current test's name is known from the fixture's constructor on).
class TempDir {
 public:
  explicit TempDir(const std::string& kind) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "lorahpo_" + kind + "_" + std::to_string(::getpid());
    if (info != nullptr) name += std::string("_") + info->name();
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lorahpo::testing_support

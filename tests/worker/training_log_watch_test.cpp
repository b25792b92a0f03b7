#include "worker/training_log_watch.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

/// litgpt v0.5.13 finetune/lora.py fit()'s per-iteration line.
std::string loss_line(long long iter, const std::string& loss) {
  return fmt::format(
      "Epoch 1 | iter {} step {} | loss train: {}, val: n/a | iter time: 412.37 ms (step)\n", iter,
      iter, loss);
}

class TrainingLogWatchTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("lorahpo_log_watch_" + std::to_string(getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// Appends `text` as a writer would (flushed, possibly mid-line).
  void append(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::app) << text;
  }

  fs::path dir_;
};

std::vector<std::string> poll_lines(LogFollower& follower) {
  std::vector<std::string> lines;
  follower.poll([&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

TEST_F(TrainingLogWatchTest, FollowerReadsOnlyNewBytesAndWaitsForLineEnds) {
  LogFollower follower(path("out.log"));
  EXPECT_TRUE(poll_lines(follower).empty());  // not created yet
  append("out.log", "first line\nsecond ");
  EXPECT_EQ(poll_lines(follower), std::vector<std::string>{"first line"});
  EXPECT_TRUE(poll_lines(follower).empty());  // "second " waits for its end
  append("out.log", "half\r\nthird\rfourth");
  EXPECT_EQ(poll_lines(follower), (std::vector<std::string>{"second half", "third"}));
  EXPECT_EQ(follower.offset(), fs::file_size(path("out.log")));  // every byte read once
  append("out.log", "\n");
  EXPECT_EQ(poll_lines(follower), std::vector<std::string>{"fourth"});
}

TEST_F(TrainingLogWatchTest, FollowerRestartsOnATruncatedFile) {
  LogFollower follower(path("out.log"));
  append("out.log", "an earlier run's long output\n");
  EXPECT_EQ(poll_lines(follower).size(), 1u);
  std::ofstream(path("out.log"), std::ios::binary | std::ios::trunc) << "new\n";
  EXPECT_EQ(poll_lines(follower), std::vector<std::string>{"new"});
}

TEST_F(TrainingLogWatchTest, FollowerBoundsMemory) {
  // An overlong line is cut at max_line_bytes, the rest of it dropped; one poll reads at most
  // max_bytes_per_poll and the next poll goes on where it stopped.
  LogFollower follower(path("out.log"), /*max_line_bytes=*/16, /*max_bytes_per_poll=*/40);
  append("out.log", std::string(100, 'x') + "\nshort\n");
  std::vector<std::string> lines;
  std::size_t read = 0;
  for (int polls = 0; polls < 10; ++polls) {
    const std::size_t n = follower.poll([&](std::string_view line) { lines.emplace_back(line); });
    EXPECT_LE(n, 40u);
    read += n;
  }
  EXPECT_EQ(read, 107u);
  EXPECT_EQ(lines, (std::vector<std::string>{std::string(16, 'x'), "short"}));
}

TEST_F(TrainingLogWatchTest, StopsAfterConsecutiveNonFiniteLosses) {
  TrainingLogWatch watch({path("out.log"), path("err.log")}, DivergenceStop{true, 3});
  EXPECT_FALSE(watch.poll().has_value());
  append("out.log", loss_line(1, "2.345") + loss_line(2, "nan") + loss_line(3, "nan"));
  append("err.log", "Seed set to 1337\n");
  EXPECT_FALSE(watch.poll().has_value());
  append("out.log", loss_line(4, "1.999"));  // a finite loss resets the count
  append("out.log", loss_line(5, "nan") + loss_line(6, "inf"));
  EXPECT_FALSE(watch.poll().has_value());
  append("out.log", "Epoch 1 | iter 7 step 7 | loss tr");  // a partial write: not yet a line
  EXPECT_FALSE(watch.poll().has_value());
  append("out.log", "ain: nan, val: n/a | iter time: 400.00 ms (step)\n");
  const auto reason = watch.poll();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "diverged at iteration 5 (loss train: nan)");
  EXPECT_EQ(watch.poll(), reason);  // and stays so
}

TEST_F(TrainingLogWatchTest, ConsecutiveIsConfigurableAndStderrIsWatched) {
  TrainingLogWatch at_once({path("out.log"), path("err.log")}, DivergenceStop{true, 1});
  append("err.log", loss_line(12, "inf"));
  EXPECT_EQ(at_once.poll(),
            std::optional<std::string>("diverged at iteration 12 (loss train: inf)"));
}

TEST_F(TrainingLogWatchTest, DisabledStopCheckIsEmpty) {
  EXPECT_FALSE(
      static_cast<bool>(divergence_stop_check({path("out.log")}, DivergenceStop{false, 3})));
  auto check = divergence_stop_check({path("out.log")}, DivergenceStop{true, 2});
  ASSERT_TRUE(static_cast<bool>(check));
  append("out.log", loss_line(1, "nan"));
  EXPECT_FALSE(check().has_value());
  auto copy = check;  // copies share the watch's state, as std::function copies may happen
  append("out.log", loss_line(2, "nan"));
  EXPECT_TRUE(copy().has_value());
  EXPECT_TRUE(check().has_value());
}

}  // namespace
}  // namespace lorahpo

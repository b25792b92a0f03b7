#include "master/config/yaml_deadline.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

using std::chrono::milliseconds;

TEST(YamlDeadline, AParseWithinTheDeadlineGivesTheDocuments) {
  const auto documents = load_all_within("a: 1\nb: [2, 3]\n", milliseconds(5000));
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0]["a"].as<int>(), 1);
  EXPECT_EQ(documents[0]["b"][1].as<int>(), 3);
}

TEST(YamlDeadline, TheParsersErrorsComeThroughUnchanged) {
  try {
    load_all_within("a: [1, 2\nb: 3\n", milliseconds(5000));
    FAIL() << "an unclosed bracket parsed";
  } catch (const YAML::ParserException& e) {
    EXPECT_GE(e.mark.line, 0);
  }
}

// yaml-cpp 0.6.3's loop on "{:" cannot be reproduced with Debian 12's 0.7, so a parser that
// takes too long stands in for it: the call returns at the deadline, not when the parse ends.
TEST(YamlDeadline, AParseThatDoesNotFinishInTimeIsATimeoutAtTheDeadline) {
  const auto slow = [](const std::string& text) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    return YAML::LoadAll(text);
  };
  const auto start = std::chrono::steady_clock::now();
  try {
    load_all_within("a: 1\n", milliseconds(100), slow);
    FAIL() << "no timeout";
  } catch (const YamlParseTimeout& e) {
    EXPECT_EQ(e.deadline, milliseconds(100));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace lorahpo

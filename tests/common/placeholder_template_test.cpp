#include "common/placeholder_template.h"

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

using Names = std::vector<std::string>;

/// A lookup over a fixed table.
auto table(std::map<std::string, std::string> entries) {
  return [entries = std::move(entries)](const std::string& name) -> std::optional<std::string> {
    const auto it = entries.find(name);
    if (it == entries.end()) return std::nullopt;
    return it->second;
  };
}

/// The message of the std::invalid_argument `f` throws ("" and a failure if none).
template <class F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::invalid_argument thrown";
  return "";
}

TEST(PlaceholderTemplateTest, FindsNamesInOrder) {
  EXPECT_EQ(placeholder_names("--lr={learning_rate}"), Names{"learning_rate"});
  EXPECT_EQ(placeholder_names("{a}{b}-{c}_x{a}"), (Names{"a", "b", "c", "a"}));
  EXPECT_EQ(placeholder_names("{trial_dir}/results.json"), Names{"trial_dir"});
  EXPECT_EQ(placeholder_names("no placeholders here"), Names{});
  EXPECT_EQ(placeholder_names(""), Names{});
}

TEST(PlaceholderTemplateTest, DoubledBracesAreLiterals) {
  EXPECT_EQ(placeholder_names("{{not_a_name}}"), Names{});
  EXPECT_EQ(placeholder_names("{{{x}}}"), Names{"x"});
  EXPECT_EQ(placeholder_names("json={{\"r\": {r}}}"), Names{"r"});
  const auto lookup = table({{"x", "1"}, {"r", "8"}});
  EXPECT_EQ(expand_placeholders("{{not_a_name}}", lookup), "{not_a_name}");
  EXPECT_EQ(expand_placeholders("{{{x}}}", lookup), "{1}");
  EXPECT_EQ(expand_placeholders("json={{\"r\": {r}}}", lookup), "json={\"r\": 8}");
}

TEST(PlaceholderTemplateTest, ExpandsEveryOccurrence) {
  const auto lookup = table({{"learning_rate", "0.0003"}, {"lora_r", "16"}, {"empty", ""}});
  EXPECT_EQ(expand_placeholders("--lr={learning_rate}", lookup), "--lr=0.0003");
  EXPECT_EQ(expand_placeholders("{lora_r}x{lora_r}", lookup), "16x16");
  EXPECT_EQ(expand_placeholders("a{empty}b", lookup), "ab");
  EXPECT_EQ(expand_placeholders("plain text", lookup), "plain text");
  EXPECT_EQ(expand_placeholders("", lookup), "");
}

TEST(PlaceholderTemplateTest, ValuesAreNotExpandedAgain) {
  const auto lookup = table({{"a", "{b}"}, {"b", "no"}});
  EXPECT_EQ(expand_placeholders("{a}", lookup), "{b}");
}

TEST(PlaceholderTemplateTest, UnclosedBraceThrows) {
  EXPECT_THROW(placeholder_names("--lr={learning_rate"), std::invalid_argument);
  EXPECT_THROW(placeholder_names("{"), std::invalid_argument);
  EXPECT_THROW(expand_placeholders("x{a", table({{"a", "1"}})), std::invalid_argument);
}

TEST(PlaceholderTemplateTest, EmptyOrNestedBraceThrows) {
  // "{}" is an empty name; "{}}" is also malformed (an empty name then a stray brace).
  EXPECT_THROW(placeholder_names("a{}b"), std::invalid_argument);
  EXPECT_THROW(placeholder_names("{a{b}"), std::invalid_argument);
  EXPECT_THROW(expand_placeholders("{}", table({})), std::invalid_argument);
}

TEST(PlaceholderTemplateTest, UnmatchedClosingBraceThrows) {
  EXPECT_THROW(placeholder_names("a}b"), std::invalid_argument);
  EXPECT_THROW(placeholder_names("{a}}"), std::invalid_argument);
  EXPECT_THROW(placeholder_names("}"), std::invalid_argument);
  EXPECT_THROW(expand_placeholders("x}", table({})), std::invalid_argument);
}

TEST(PlaceholderTemplateTest, UnknownNameThrowsNamingIt) {
  const std::string message = invalid_argument_message([] {
    return expand_placeholders("--r={lora_rank}", table({{"lora_r", "8"}}));
  });
  EXPECT_NE(message.find("lora_rank"), std::string::npos) << "message: " << message;
}

}  // namespace
}  // namespace lorahpo

#include "master/config/config_section.h"

#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/config_error.h"

namespace lorahpo {
namespace {

/// The section `key` of a document, as the loader would build it.
ConfigSection section(const std::string& yaml, const std::string& key = "s") {
  const YAML::Node root = YAML::Load(yaml);
  return ConfigSection("f.yaml", root[key], key, "/cfg");
}

/// Runs `read` and checks the ConfigError it throws: line, full key and a part of the message.
template <class Read>
void expect_error(Read read, int line, const std::string& key, const std::string& part) {
  try {
    read();
    FAIL() << "accepted; expected " << key << ": " << part;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "f.yaml");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ConfigSection, IntegerInRangeIsReadAndAbsentKeepsTheDefault) {
  const ConfigSection s = section("s:\n  a: 7\n");
  int a = 1, b = 2;
  s.read_integer("a", &a, {0, 10, ""});
  s.read_integer("b", &b, {0, 10, ""});
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 2);
}

TEST(ConfigSection, IntegerOutOfRangeNamesLineKeyRangeAndValue) {
  const ConfigSection s = section("s:\n  x: 1\n  a: 11\n");
  int a = 0;
  expect_error(
      [&] {
        s.read_integer("a", &a, {0, 10, " (note)"});
      },
      3, "s.a", "must be in [0, 10] (note), got 11");
  EXPECT_EQ(a, 0);
}

TEST(ConfigSection, IntegerRangeOrZeroAcceptsZeroAndRejectsTheGap) {
  const ConfigSection s = section("s: {a: 0, b: 5}\n");
  int a = 9, b = 9;
  s.read_integer("a", &a, {16, 100, " (none)", true});
  EXPECT_EQ(a, 0);
  expect_error(
      [&] {
        s.read_integer("b", &b, {16, 100, " (none)", true});
      },
      1, "s.b", "must be 0 (none) or in [16, 100], got 5");
}

TEST(ConfigSection, IntegerRejectsFloatsAndText) {
  const ConfigSection s = section("s: {a: 1.5, b: many}\n");
  long long v = 0;
  expect_error(
      [&] {
        s.read_integer("a", &v, {0, 10, ""});
      },
      1, "s.a", "must be an integer, got '1.5'");
  expect_error([&] { s.read_integer("b", &v, {0, 10, ""}); }, 1, "s.b", "must be an integer");
}

TEST(ConfigSection, NumberRangesWithOpenAndClosedEnds) {
  const ConfigSection s = section("s: {a: 0, b: 1, c: .nan, d: 0.5}\n");
  NumberRange half_open;
  half_open.low = 0.0;
  half_open.high = 1.0;
  half_open.low_open = true;
  double v = 0.25;
  expect_error([&] { s.read_number("a", &v, half_open); }, 1, "s.a", "must be in (0, 1], got 0");
  s.read_number("b", &v, half_open);
  EXPECT_DOUBLE_EQ(v, 1.0);
  expect_error([&] { s.read_number("c", &v, half_open); }, 1, "s.c", "must be a finite number");
  NumberRange at_most;
  at_most.high = 0.25;
  at_most.note = " seconds";
  expect_error([&] { s.read_number("d", &v, at_most); }, 1, "s.d",
               "must be at most 0.25 seconds, got 0.5");
  NumberRange at_least;
  at_least.low = 0.75;
  expect_error([&] { s.read_number("d", &v, at_least); }, 1, "s.d", "must be >= 0.75, got 0.5");
}

TEST(ConfigSection, ChoiceListsTheChoicesInOrder) {
  const ConfigSection s = section("s: {mode: sync, bad: fast}\n");
  std::string mode = "async";
  s.read_choice("mode", &mode, {"async", "sync"});
  EXPECT_EQ(mode, "sync");
  expect_error(
      [&] {
        s.read_choice("bad", &mode, {"async", "sync"});
      },
      1, "s.bad", "must be one of async, sync, got 'fast'");
}

TEST(ConfigSection, TimeoutIsPositiveAndAtMostThirtyDays) {
  const ConfigSection s = section("s: {a: 60, b: 0, c: 2600000}\n");
  double t = 1.0;
  s.read_timeout("a", &t);
  EXPECT_DOUBLE_EQ(t, 60.0);
  expect_error([&] { s.read_timeout("b", &t); }, 1, "s.b", "must be > 0 seconds");
  expect_error([&] { s.read_timeout("c", &t); }, 1, "s.c", "at most 2592000 (30 days)");
}

TEST(ConfigSection, BooleanAcceptsYamlBooleansOnly) {
  const ConfigSection s = section("s: {a: yes, b: maybe}\n");
  bool v = false;
  s.read_boolean("a", &v);
  EXPECT_TRUE(v);
  expect_error([&] { s.read_boolean("b", &v); }, 1, "s.b", "must be true or false");
}

TEST(ConfigSection, EnvMapChecksNamesAndTemplates) {
  const SearchSpace space({Parameter{"lr", ParamType::kFloat, 0.0, 1.0, Transform::kNone, {}}});
  std::map<std::string, std::string> env;
  section("s:\n  env: {A: \"{lr}\", B_2: \"{trial_dir}/x\"}\n").read_env("env", &env, space);
  EXPECT_EQ(env.at("A"), "{lr}");
  EXPECT_EQ(env.at("B_2"), "{trial_dir}/x");
  expect_error([&] { section("s:\n  env:\n    1A: x\n").read_env("env", &env, space); }, 3,
               "s.env.1A", "is not a valid variable name");
  expect_error([&] { section("s:\n  env:\n    A: \"{nope}\"\n").read_env("env", &env, space); }, 3,
               "s.env.A", "names {nope}");
  expect_error([&] { section("s:\n  env: [A]\n").read_env("env", &env, space); }, 2, "s.env",
               "must be a mapping");
}

TEST(ConfigSection, ConfigDirIsExpandedAndOtherPlaceholdersFail) {
  const ConfigSection s =
      section("s: {p: \"{config_dir}/m/{{x}}\", q: \"{config_dir\", r: \"{trial_id}/m\"}\n");
  EXPECT_EQ(s.expand_config_dir(s["p"], s.key_of("p"), s["p"].as<std::string>()), "/cfg/m/{x}");
  expect_error([&] { s.expand_config_dir(s["q"], s.key_of("q"), s["q"].as<std::string>()); }, 1,
               "s.q", "");
  expect_error([&] { s.expand_config_dir(s["r"], s.key_of("r"), s["r"].as<std::string>()); }, 1,
               "s.r", "{trial_id}");
}

TEST(ConfigSection, AllowOnlyRejectsUnknownAndRepeatedKeysWithTheirFullKey) {
  expect_error(
      [] {
        section("s:\n  a: 1\n  typo: 2\n").allow_only({"a", "b"});
      },
      3, "s.typo", "is not a known key (expected one of: a, b)");
  expect_error([] { section("s:\n  a: 1\n  a: 2\n").allow_only({"a"}); }, 3, "s.a",
               "is given twice");
  expect_error([] { section("s: [1]\n").allow_only({"a"}); }, 1, "s", "must be a mapping");
}

TEST(ConfigSection, RequiredNamesTheMappingLine) {
  const YAML::Node root = YAML::Load("top:\n  inner:\n    a: 1\n");
  const ConfigSection inner = ConfigSection("f.yaml", root["top"], "top").child("inner");
  EXPECT_EQ(inner.key(), "top.inner");
  expect_error([&] { inner.required("b"); }, 3, "top.inner.b", "is required");
}

TEST(ConfigSection, OneLineEscapesControlsAndCutsAtACharacterBoundary) {
  EXPECT_EQ(ConfigSection::one_line("a\nb\tc\x01", 100), "a\\nb\\tc\\x01");
  EXPECT_EQ(ConfigSection::one_line("ab\xc3\xa9"
                                    "cd",
                                    3),
            "ab...");
}

}  // namespace
}  // namespace lorahpo

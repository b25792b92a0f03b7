#include "worker/score_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

/// What lm_eval writes: NaN stderrs, keys with commas, nested per-task results.
constexpr const char* kLmEvalResults = R"({
  "results": {
    "hellaswag": {
      "alias": "hellaswag",
      "acc,none": 0.5012,
      "acc_stderr,none": NaN,
      "acc_norm,none": 0.6745,
      "acc_norm_stderr,none": 0.0047
    },
    "arc_easy": {"acc,none": Infinity, "acc_norm,none": -Infinity, "label": "NaN"}
  },
  "config": {"model": "hf", "limit": null}
})";

constexpr const char* kPointer = "/results/hellaswag/acc_norm,none";

class ScoreReaderTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("lorahpo_score_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string write(const std::string& name, const std::string& contents) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  fs::path dir_;
};

/// `reading` is not ok and its reason contains `fragment`.
void expect_not_ok(const ScoreReading& reading, const std::string& fragment) {
  EXPECT_FALSE(reading.ok) << "score " << reading.score << " read";
  EXPECT_NE(reading.reason.find(fragment), std::string::npos)
      << "reason '" << reading.reason << "' does not mention '" << fragment << "'";
}

TEST(ParsePythonJsonTest, NonFiniteLiteralsBecomeNull) {
  const auto document = parse_python_json(R"({"a": NaN, "b": Infinity, "c": -Infinity, "d": 1})");
  EXPECT_TRUE(document["a"].is_null()) << document.dump();
  EXPECT_TRUE(document["b"].is_null()) << document.dump();
  EXPECT_TRUE(document["c"].is_null()) << document.dump();
  EXPECT_EQ(document["d"], 1);
  const auto list = parse_python_json("[NaN,-Infinity,Infinity,2.5]");
  EXPECT_EQ(list, nlohmann::json::parse("[null,null,null,2.5]"));
}

TEST(ParsePythonJsonTest, LiteralsInsideStringsAreKept) {
  const auto document = parse_python_json(
      R"({"NaN": "NaN", "text": "Infinity and -Infinity", "esc": "a\"NaN\"b", "k\\": NaN})");
  EXPECT_EQ(document["NaN"], "NaN") << document.dump();
  EXPECT_EQ(document["text"], "Infinity and -Infinity");
  EXPECT_EQ(document["esc"], "a\"NaN\"b");
  EXPECT_TRUE(document["k\\"].is_null()) << "a key ending in a backslash ends its string";
}

TEST(ParsePythonJsonTest, OtherInvalidJsonThrows) {
  EXPECT_THROW(parse_python_json("{\"a\": nan}"), nlohmann::json::parse_error);
  EXPECT_THROW(parse_python_json("{\"a\": 1"), nlohmann::json::parse_error);
  EXPECT_THROW(parse_python_json("not json"), nlohmann::json::parse_error);
  EXPECT_THROW(parse_python_json(""), nlohmann::json::parse_error);
}

TEST_F(ScoreReaderTest, ReadsLmEvalLikeDocument) {
  const auto reading = read_score_from_json_file(write("results.json", kLmEvalResults), kPointer);
  ASSERT_TRUE(reading.ok) << reading.reason;
  EXPECT_EQ(reading.score, 0.6745);
  EXPECT_TRUE(reading.reason.empty()) << reading.reason;
  EXPECT_EQ(reading.document["results"]["hellaswag"]["alias"], "hellaswag");
  EXPECT_TRUE(reading.document["results"]["hellaswag"]["acc_stderr,none"].is_null());
}

TEST_F(ScoreReaderTest, IntegerScoreIsANumber) {
  const auto reading = read_score_from_json_file(write("r.json", R"({"score": 3})"), "/score");
  ASSERT_TRUE(reading.ok) << reading.reason;
  EXPECT_EQ(reading.score, 3.0);
}

TEST_F(ScoreReaderTest, MissingFile) {
  const std::string path = (dir_ / "never_written.json").string();
  expect_not_ok(read_score_from_json_file(path, kPointer), "not written");
}

TEST_F(ScoreReaderTest, NotJson) {
  expect_not_ok(read_score_from_json_file(write("r.json", "Traceback (most recent call last):"),
                                          kPointer),
                "not valid JSON");
  expect_not_ok(read_score_from_json_file(write("e.json", ""), kPointer), "not valid JSON");
}

TEST_F(ScoreReaderTest, AbsentPointer) {
  const std::string path = write("r.json", kLmEvalResults);
  expect_not_ok(read_score_from_json_file(path, "/results/winogrande/acc,none"),
                "/results/winogrande/acc,none");
  expect_not_ok(read_score_from_json_file(path, "/results/winogrande/acc,none"), "no value");
}

TEST_F(ScoreReaderTest, MalformedPointer) {
  const auto reading = read_score_from_json_file(write("r.json", kLmEvalResults), "results");
  EXPECT_FALSE(reading.ok);
  EXPECT_NE(reading.reason.find("results"), std::string::npos) << reading.reason;
}

TEST_F(ScoreReaderTest, EscapedPointerTokens) {
  // RFC 6901: "~1" stands for '/', "~0" for '~'.
  const std::string path = write("r.json", R"({"acc/norm": {"x~y": 0.5}})");
  const auto reading = read_score_from_json_file(path, "/acc~1norm/x~0y");
  ASSERT_TRUE(reading.ok) << reading.reason;
  EXPECT_EQ(reading.score, 0.5);
}

/// read_score_from_json_file, with an exception that escapes it turned into a test failure
/// (the contract is "not ok", never a throw).
ScoreReading read_without_throwing(const std::string& path, const std::string& pointer) {
  try {
    return read_score_from_json_file(path, pointer);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "pointer '" << pointer << "' threw instead of returning not ok: " << e.what();
    ScoreReading reading;
    reading.reason = "no value at " + pointer + " (threw)";
    return reading;
  }
}

TEST_F(ScoreReaderTest, PointerIntoAnArray) {
  const std::string path = write("r.json", R"({"scores": [0.5, 0.75], "n": 2})");
  const auto second = read_without_throwing(path, "/scores/1");
  ASSERT_TRUE(second.ok) << second.reason;
  EXPECT_EQ(second.score, 0.75);
  // Indices that do not exist: past the end, "-" (one past the end), not a number, a leading
  // zero, and the empty token; and a path through a number. None is in the document.
  for (const char* pointer :
       {"/scores/2", "/scores/-", "/scores/x", "/scores/01", "/scores/", "/n/0", "/n/"}) {
    const auto reading = read_without_throwing(path, pointer);
    EXPECT_FALSE(reading.ok) << pointer << " read as " << reading.score;
    EXPECT_NE(reading.reason.find(pointer), std::string::npos)
        << pointer << ": reason '" << reading.reason << "'";
  }
}

TEST_F(ScoreReaderTest, StringValue) {
  expect_not_ok(read_score_from_json_file(write("r.json", kLmEvalResults),
                                          "/results/hellaswag/alias"),
                "not a number");
  expect_not_ok(read_score_from_json_file(write("s.json", R"({"s": "0.5"})"), "/s"),
                "not a number");
}

TEST_F(ScoreReaderTest, NonFiniteValues) {
  const std::string path = write("r.json", kLmEvalResults);
  expect_not_ok(read_score_from_json_file(path, "/results/hellaswag/acc_stderr,none"), "NaN");
  expect_not_ok(read_score_from_json_file(path, "/results/arc_easy/acc,none"), "infinite");
  expect_not_ok(read_score_from_json_file(path, "/results/arc_easy/acc_norm,none"), "infinite");
  expect_not_ok(read_score_from_json_file(path, "/config/limit"), "null");
}

TEST_F(ScoreReaderTest, ObjectValue) {
  expect_not_ok(read_score_from_json_file(write("r.json", kLmEvalResults), "/results/hellaswag"),
                "not a number");
}

TEST_F(ScoreReaderTest, DirectoryInsteadOfFile) {
  fs::create_directories(dir_ / "results.json");
  expect_not_ok(read_score_from_json_file((dir_ / "results.json").string(), kPointer),
                "not a regular file");
}

TEST_F(ScoreReaderTest, OversizedFile) {
  const std::string path = (dir_ / "huge.json").string();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  // Sparse: no disk space used, but stat reports the size.
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kMaxResultBytes) + 1), 0);
  close(fd);
  expect_not_ok(read_score_from_json_file(path, kPointer), "too large");
}

TEST_F(ScoreReaderTest, BinaryGarbage) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  const auto reading = read_score_from_json_file(write("r.json", garbage), kPointer);
  expect_not_ok(reading, "not valid JSON");
  for (char c : reading.reason) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "control character in the reason";
  }
}

TEST_F(ScoreReaderTest, StdoutLastLineNumber) {
  const auto reading =
      read_score_from_stdout(write("stdout.log", "epoch 1 loss 0.9\nepoch 2\n0.8125\n\n  \n"));
  ASSERT_TRUE(reading.ok) << reading.reason;
  EXPECT_EQ(reading.score, 0.8125);
  EXPECT_TRUE(reading.document.is_null());
}

TEST_F(ScoreReaderTest, StdoutNumberForms) {
  for (const auto& [text, expected] : {std::pair<std::string, double>{"-3", -3.0},
                                       {"  1e-3", 1e-3},
                                       {"42\r\n", 42.0},
                                       {"7.5", 7.5}}) {
    const auto reading = read_score_from_stdout(write("stdout.log", text));
    ASSERT_TRUE(reading.ok) << "'" << text << "': " << reading.reason;
    EXPECT_EQ(reading.score, expected) << "'" << text << "'";
  }
}

TEST_F(ScoreReaderTest, StdoutTextIsNotAScore) {
  expect_not_ok(read_score_from_stdout(write("stdout.log", "0.5\ndone\n")), "not a number");
  expect_not_ok(read_score_from_stdout(write("stdout.log", "0.5 accuracy\n")), "not a number");
  expect_not_ok(read_score_from_stdout(write("stdout.log", "score: 0.5\n")), "not a number");
}

TEST_F(ScoreReaderTest, StdoutNonFiniteIsNotAScore) {
  for (const char* text : {"nan\n", "inf\n", "-inf\n", "NaN\n", "Infinity\n", "1e999\n"}) {
    const auto reading = read_score_from_stdout(write("stdout.log", text));
    EXPECT_FALSE(reading.ok) << "'" << text << "' read as " << reading.score;
    EXPECT_NE(reading.reason.find("not finite"), std::string::npos)
        << "'" << text << "': " << reading.reason;
  }
}

TEST_F(ScoreReaderTest, StdoutEmptyOrMissing) {
  expect_not_ok(read_score_from_stdout(write("stdout.log", "")), "nothing");
  expect_not_ok(read_score_from_stdout(write("blank.log", "\n \n\t\n")), "nothing");
  expect_not_ok(read_score_from_stdout((dir_ / "absent.log").string()), "nothing");
}

}  // namespace
}  // namespace lorahpo

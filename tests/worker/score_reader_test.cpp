#include "worker/score_reader.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
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
  expect_not_ok(
      read_score_from_json_file(write("r.json", "Traceback (most recent call last):"), kPointer),
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
  expect_not_ok(
      read_score_from_json_file(write("r.json", kLmEvalResults), "/results/hellaswag/alias"),
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

TEST(ParsePythonJsonTest, KeywordsAcrossTheFilterBuffer) {
  // Tokens land on every offset around the filter's 64 KiB chunks: none may be split wrongly.
  std::string text = "[";
  nlohmann::json expected = nlohmann::json::array();
  for (int i = 0; i < 30000; ++i) {
    switch (i % 5) {
      case 0:
        text += "NaN";
        expected.push_back(nullptr);
        break;
      case 1:
        text += "-Infinity";
        expected.push_back(nullptr);
        break;
      case 2:
        text += "-1.5";
        expected.push_back(-1.5);
        break;
      case 3:
        text += "\"N\\\"aN -Infinity\"";
        expected.push_back("N\"aN -Infinity");
        break;
      default:
        text += "Infinity";
        expected.push_back(nullptr);
        break;
    }
    text += i + 1 < 30000 ? (i % 7 == 0 ? ",\n  " : ",") : "]";
  }
  EXPECT_EQ(parse_python_json(text), expected);
  EXPECT_THROW(parse_python_json("[NaN, Infinit]"), nlohmann::json::parse_error);
  EXPECT_THROW(parse_python_json("[Na"), nlohmann::json::parse_error);
}

TEST_F(ScoreReaderTest, SamplesAreSkippedNotStored) {
  const std::string path = write("results.json", R"({
  "results": {"hellaswag": {"acc_norm,none": 0.7312, "acc_norm_stderr,none": NaN}},
  "samples": {"hellaswag": [{"doc_id": 0, "resps": [[["-1.5", "False"]]], "acc_norm": NaN}]},
  "config": {"limit": null},
  "nested": {"samples": 1}
})");
  const ScoreReading reading = read_score_from_json_file(path, kPointer);
  ASSERT_TRUE(reading.ok) << reading.reason;
  EXPECT_DOUBLE_EQ(reading.score, 0.7312);
  EXPECT_FALSE(reading.document.contains("samples"));
  EXPECT_TRUE(reading.document.contains("config"));
  EXPECT_EQ(reading.document["nested"]["samples"], 1);  // only the top-level member is skipped
  // A pointer into the samples reads them.
  const ScoreReading sample = read_score_from_json_file(path, "/samples/hellaswag/0/doc_id");
  ASSERT_TRUE(sample.ok) << sample.reason;
  EXPECT_EQ(sample.score, 0.0);
}

TEST_F(ScoreReaderTest, AbsentPointerStillGivesTheDocument) {
  // The LitGPT evaluator falls back to `groups` (where some lm_eval versions put mmlu).
  const ScoreReading reading = read_score_from_json_file(
      write("r.json", R"({"groups": {"mmlu": {"acc,none": 0.55}}})"), "/results/mmlu/acc,none");
  EXPECT_FALSE(reading.ok);
  EXPECT_EQ(reading.document["groups"]["mmlu"]["acc,none"], 0.55);
}

/// Writes an lm_eval results.json as litgpt's evaluate writes it (json.dumps(indent=2)), with
/// `samples` at the size of a full HellaSwag + MMLU run: 10042 HellaSwag documents and 57 MMLU
/// subjects of ~246 questions, each sample with its document, the four (context, continuation)
/// requests and their log-likelihoods (lm_eval 0.4.x evaluator.py, log_samples default true).
std::uintmax_t write_full_results(const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  out << "{\n  \"results\": {\n    \"hellaswag\": {\"alias\": \"hellaswag\", \"acc,none\": 0.5563, "
         "\"acc_stderr,none\": 0.00496, \"acc_norm,none\": 0.7351, \"acc_norm_stderr,none\": "
         "NaN},\n"
         "    \"mmlu\": {\"acc,none\": 0.5452, \"acc_stderr,none\": 0.0040, \"alias\": \"mmlu\"}\n "
         " },\n"
         "  \"groups\": {\"mmlu\": {\"acc,none\": 0.5452, \"acc_stderr,none\": 0.0040}},\n  "
         "\"samples\": {\n";
  const std::string sentence =
      "A man is sitting on a roof. he is using wrap to wrap a pair of skis. he starts pulling up "
      "roofing on a roof.";
  const auto sample = [&](int doc_id, const std::string& task) {
    std::string s =
        "      {\n        \"doc_id\": " + std::to_string(doc_id) + ",\n        \"doc\": {\n";
    s += "          \"ind\": " + std::to_string(doc_id * 7) +
         ",\n          \"activity_label\": \"" + task + "\",\n";
    s += "          \"ctx\": \"" + sentence + " " + sentence + "\",\n          \"endings\": [\n";
    for (int e = 0; e < 4; ++e)
      s += "            \"" + sentence + " " + sentence + "\"" + (e < 3 ? ",\n" : "\n");
    s += "          ],\n          \"label\": \"3\"\n        },\n        \"target\": 3,\n        "
         "\"arguments\": [\n";
    for (int e = 0; e < 4; ++e) {
      s += "          [\n            \"" + sentence + " " + sentence + "\",\n            \" " +
           sentence + " " + sentence + "\"\n          ]";
      s += e < 3 ? ",\n" : "\n";
    }
    s += "        ],\n        \"resps\": [\n";
    for (int e = 0; e < 4; ++e)
      s += "          [[\"-" + std::to_string(30 + e) + ".125\", \"False\"]]" +
           (e < 3 ? ",\n" : "\n");
    s += "        ],\n        \"filtered_resps\": [[\"-30.125\", \"False\"], [\"-31.125\", "
         "\"False\"], "
         "[\"-32.125\", \"False\"], [\"-33.125\", \"False\"]],\n";
    s += "        \"doc_hash\": "
         "\"4f1c0b5e6f2d9a7c3b8e1d0f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b\",\n";
    s += "        \"acc\": 0.0,\n        \"acc_norm\": NaN\n      }";
    return s;
  };
  out << "    \"hellaswag\": [\n";
  for (int i = 0; i < 10042; ++i) out << sample(i, "hellaswag") << (i < 10041 ? ",\n" : "\n");
  out << "    ]";
  for (int subject = 0; subject < 57; ++subject) {
    out << ",\n    \"mmlu_subject_" << subject << "\": [\n";
    for (int i = 0; i < 246; ++i) out << sample(i, "mmlu") << (i < 245 ? ",\n" : "\n");
    out << "    ]";
  }
  out << "\n  },\n  \"config\": {\"model\": \"hf\", \"limit\": null},\n  \"git_hash\": "
         "\"abc1234\"\n}\n";
  out.close();
  return fs::file_size(path);
}

TEST_F(ScoreReaderTest, FullResultsWithSamplesAreReadInBoundedMemory) {
  const fs::path path = dir_ / "results.json";
  const std::uintmax_t size = write_full_results(path);
  ASSERT_GT(size, 85u << 20) << "not the ~90 MB of a full HellaSwag + MMLU run";

  // Read in a child process, whose peak resident memory wait4 reports alone.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    const ScoreReading reading = read_score_from_json_file(path.string(), kPointer);
    const std::string answer = reading.ok && !reading.document.contains("samples")
                                   ? std::to_string(reading.score)
                                   : "failed: " + reading.reason;
    const ssize_t written = ::write(pipe_fds[1], answer.data(), answer.size());
    _exit(written == static_cast<ssize_t>(answer.size()) ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string answer;
  char buffer[256];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    answer.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  ASSERT_EQ(wait4(child, &status, 0, &usage), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << answer;
  EXPECT_EQ(answer, std::to_string(0.7351));
  const double peak_mb =
      static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  std::printf("peak RSS of the process reading a %.1f MB results.json with samples: %.1f MB\n",
              static_cast<double>(size) / 1e6, peak_mb);
  RecordProperty("peak_rss_mb", std::to_string(peak_mb));
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's shadow memory and freed-memory quarantine make RSS say nothing about the
  // reader (518 MB measured for the same read): the bound is checked in the normal build only.
  (void)peak_mb;
#else
  EXPECT_LT(peak_mb, 200.0);
#endif
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

#include "worker/node_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_tools.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;
using testing_support::ScopedEnv;
using testing_support::write_file;

const NodeCheck& find_check(const NodeReport& report, const std::string& name) {
  const auto it = std::find_if(report.checks.begin(), report.checks.end(),
                               [&](const NodeCheck& c) { return c.name == name; });
  if (it == report.checks.end()) throw std::runtime_error("no check " + name);
  return *it;
}

TEST(VersionTest, ParsesReleaseNumbers) {
  ASSERT_TRUE(parse_version("0.5.13"));
  EXPECT_EQ(to_string(*parse_version("0.5.13")), "0.5.13");
  EXPECT_EQ(to_string(*parse_version("0.4.9.1")), "0.4.9");
  EXPECT_EQ(to_string(*parse_version("0.5.13.dev0")), "0.5.13");
  EXPECT_EQ(to_string(*parse_version("v0.5")), "0.5.0");
  EXPECT_FALSE(parse_version("unknown"));
  EXPECT_FALSE(parse_version(""));
}

TEST(VersionTest, SupportedRanges) {
  for (const char* v : {"0.5.10", "0.5.11", "0.5.12", "0.5.13"}) {
    EXPECT_TRUE(kSupportedLitgpt.contains(*parse_version(v))) << v;
  }
  for (const char* v : {"0.5.9", "0.5.14", "0.4.13", "0.6.0", "1.0.0"}) {
    EXPECT_FALSE(kSupportedLitgpt.contains(*parse_version(v))) << v;
  }
  EXPECT_TRUE(kSupportedLmEval.contains(*parse_version("0.4.8")));
  EXPECT_TRUE(kSupportedLmEval.contains(*parse_version("0.4.9.1")));
  EXPECT_FALSE(kSupportedLmEval.contains(*parse_version("0.4.1")));
  EXPECT_FALSE(kSupportedLmEval.contains(*parse_version("0.5.0")));
}

class NodeCheckTest : public testing::Test {
 protected:
  /// A virtual environment as pip leaves it: bin/python, bin/litgpt (a console script whose
  /// "#!" names bin/python) and the dist-info directories of litgpt and lm_eval.
  fs::path make_venv(const std::string& name, const std::string& litgpt,
                     const std::string& lm_eval) {
    const fs::path venv = root_ / name;
    const std::string command = "python3 -m venv --without-pip " + venv.string();
    if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot run: " + command);
    fs::path site;
    for (const auto& entry : fs::directory_iterator(venv / "lib"))
      site = entry.path() / "site-packages";
    add_distribution(site, "litgpt", litgpt);
    if (!lm_eval.empty()) add_distribution(site, "lm_eval", lm_eval);
    // pip's console-script wrapper for pyproject's scripts.litgpt = "litgpt.__main__:main".
    write_file(venv / "bin/litgpt",
               "#!" + (venv / "bin/python").string() +
                   "\nimport sys\nfrom litgpt.__main__ import main\nsys.exit(main())\n",
               true);
    return venv;
  }
  static void add_distribution(const fs::path& site, const std::string& name,
                               const std::string& version) {
    write_file(site / (name + "-" + version + ".dist-info/METADATA"),
               "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
  }
  static std::vector<std::string> env_with_path(const std::string& path) {
    return {"PATH=" + path, "HOME=/nonexistent"};
  }

  testing_support::TempDir temp_{"node"};
  const fs::path root_ = temp_.path();
};

TEST_F(NodeCheckTest, VersionsFromTheConsoleScriptsInterpreter) {
  const fs::path venv = make_venv("venv", "0.5.13", "0.4.8");
  const auto installed = installed_versions(
      "litgpt", {"litgpt", "lm_eval"}, env_with_path((venv / "bin").string() + ":/usr/bin:/bin"));
  ASSERT_EQ(installed.error, "");
  EXPECT_EQ(installed.versions.at("litgpt"), "0.5.13");
  EXPECT_EQ(installed.versions.at("lm_eval"), "0.4.8");
  EXPECT_TRUE(check_version(kCheckLitgpt, "litgpt", installed, kSupportedLitgpt).ok);
  EXPECT_TRUE(check_version(kCheckLmEval, "lm_eval", installed, kSupportedLmEval).ok);
}

TEST_F(NodeCheckTest, UnsupportedAndMissingVersionsFail) {
  const fs::path venv = make_venv("old", "0.5.9", "");
  const auto installed = installed_versions((venv / "bin/litgpt").string(), {"litgpt", "lm_eval"},
                                            env_with_path("/usr/bin:/bin"));
  const NodeCheck litgpt = check_version(kCheckLitgpt, "litgpt", installed, kSupportedLitgpt);
  EXPECT_FALSE(litgpt.ok);
  EXPECT_EQ(litgpt.detail, "0.5.9 unsupported (supported: 0.5.10 to 0.5.13)");
  const NodeCheck lm_eval = check_version(kCheckLmEval, "lm_eval", installed, kSupportedLmEval);
  EXPECT_FALSE(lm_eval.ok);
  EXPECT_NE(lm_eval.detail.find("lm_eval not installed"), std::string::npos) << lm_eval.detail;
}

TEST_F(NodeCheckTest, AScriptWithoutPythonLineIsReadFromItsDistInfo) {
  // A shell wrapper (module systems write these): the dist-info next to it tells the version.
  add_distribution(root_ / "env/lib/python3.10/site-packages", "litgpt", "0.5.12");
  write_file(root_ / "env/bin/litgpt", "#!/bin/sh\nexec python -m litgpt \"$@\"\n", true);
  const auto installed =
      installed_versions("litgpt", {"litgpt"}, env_with_path((root_ / "env/bin").string()));
  EXPECT_EQ(installed.error, "");
  EXPECT_EQ(installed.versions.at("litgpt"), "0.5.12");
}

TEST_F(NodeCheckTest, AMissingExecutableFails) {
  const auto installed =
      installed_versions("litgpt", {"litgpt"}, env_with_path((root_ / "nothing").string()));
  const NodeCheck check = check_version(kCheckLitgpt, "litgpt", installed, kSupportedLitgpt);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.detail, "litgpt: not found in PATH");
}

TEST_F(NodeCheckTest, CheckpointNeedsWhatLitgptChecks) {
  const fs::path dir = root_ / "Llama-3.2-3B";
  EXPECT_FALSE(check_checkpoint(dir.string()).ok);
  write_file(dir / "lit_model.pth", "w");
  write_file(dir / "model_config.yaml", "name: Llama-3.2-3B\n");
  NodeCheck check = check_checkpoint(dir.string());
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.detail.find("tokenizer.json or tokenizer.model, tokenizer_config.json"),
            std::string::npos)
      << check.detail;
  write_file(dir / "tokenizer.model", "t");
  write_file(dir / "tokenizer_config.json", "{}");
  EXPECT_TRUE(check_checkpoint(dir.string()).ok);
}

TEST_F(NodeCheckTest, DiskLooksAtTheNearestExistingDirectory) {
  const NodeCheck ok =
      check_disk((root_ / "not/yet/there").string(), (root_ / "no-checkpoint").string());
  EXPECT_TRUE(ok.ok) << ok.detail;  // a 1 GiB margin: any test machine has that free
  EXPECT_NE(ok.detail.find(root_.string()), std::string::npos) << ok.detail;
  // A (sparse) checkpoint as large as the free space: two copies of it do not fit.
  const fs::path model = root_ / "huge/lit_model.pth";
  write_file(model, "");
  fs::resize_file(model, fs::space(root_).available + 1);
  const NodeCheck full = check_disk((root_ / "work").string(), (root_ / "huge").string());
  EXPECT_FALSE(full.ok);
  EXPECT_NE(full.detail.find("too little"), std::string::npos) << full.detail;
}

TEST_F(NodeCheckTest, DatasetsAreCheckedOnlyOffline) {
  const fs::path home = root_ / "hf";
  std::vector<std::string> env = {"HF_HOME=" + home.string()};
  EXPECT_TRUE(check_datasets({"hellaswag", "mmlu"}, env).ok);  // online: lm_eval downloads

  env.push_back("HF_DATASETS_OFFLINE=1");
  NodeCheck check = check_datasets({"hellaswag", "mmlu"}, env);
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.detail.find("hellaswag"), std::string::npos) << check.detail;

  const fs::path cache = home / "datasets";
  write_file(cache / "Rowan___hellaswag/default/0.0.0/abc/dataset_info.json", "{}");
  // MMLU cached as config "all" only: lm_eval loads it per subject, so that is not enough.
  write_file(cache / "cais___mmlu/all/0.0.0/abc/dataset_info.json", "{}");
  check = check_datasets({"hellaswag", "mmlu"}, env);
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.detail.find("57 of 57 subject configs missing"), std::string::npos)
      << check.detail;
  EXPECT_TRUE(check_datasets({"hellaswag", "arc_easy"}, env).ok);  // unknown task: reported only
  EXPECT_NE(check_datasets({"arc_easy"}, env).detail.find("not checked: arc_easy"),
            std::string::npos);

  for (const char* subject : {"abstract_algebra",
                              "anatomy",
                              "astronomy",
                              "business_ethics",
                              "clinical_knowledge",
                              "college_biology",
                              "college_chemistry",
                              "college_computer_science",
                              "college_mathematics",
                              "college_medicine",
                              "college_physics",
                              "computer_security",
                              "conceptual_physics",
                              "econometrics",
                              "electrical_engineering",
                              "elementary_mathematics",
                              "formal_logic",
                              "global_facts",
                              "high_school_biology",
                              "high_school_chemistry",
                              "high_school_computer_science",
                              "high_school_european_history",
                              "high_school_geography",
                              "high_school_government_and_politics",
                              "high_school_macroeconomics",
                              "high_school_mathematics",
                              "high_school_microeconomics",
                              "high_school_physics",
                              "high_school_psychology",
                              "high_school_statistics",
                              "high_school_us_history",
                              "high_school_world_history",
                              "human_aging",
                              "human_sexuality",
                              "international_law",
                              "jurisprudence",
                              "logical_fallacies",
                              "machine_learning",
                              "management",
                              "marketing",
                              "medical_genetics",
                              "miscellaneous",
                              "moral_disputes",
                              "moral_scenarios",
                              "nutrition",
                              "philosophy",
                              "prehistory",
                              "professional_accounting",
                              "professional_law",
                              "professional_medicine",
                              "professional_psychology",
                              "public_relations",
                              "security_studies",
                              "sociology",
                              "us_foreign_policy",
                              "virology",
                              "world_religions"}) {
    write_file(cache / "cais___mmlu" / subject / "0.0.0/abc/dataset_info.json", "{}");
  }
  check = check_datasets({"hellaswag", "mmlu"}, env);
  EXPECT_TRUE(check.ok) << check.detail;
  // HF_DATASETS_OFFLINE=0 wins over HF_HUB_OFFLINE=1 (datasets config.py).
  EXPECT_NE(
      check_datasets({"mmlu"}, {"HF_HOME=/nowhere", "HF_HUB_OFFLINE=1", "HF_DATASETS_OFFLINE=0"})
          .detail.find("online"),
      std::string::npos);
  EXPECT_FALSE(check_datasets({"mmlu"}, {"HF_HOME=/nowhere", "HF_HUB_OFFLINE=yes"}).ok);
}

TEST_F(NodeCheckTest, ALitgptNodeReportsEveryCheck) {
  testing_support::install_nvidia_smi(root_ / "bin");
  const fs::path venv = make_venv("venv", "0.5.13", "0.4.8");
  for (const char* name :
       {"lit_model.pth", "model_config.yaml", "tokenizer.json", "tokenizer_config.json"}) {
    write_file(root_ / "checkpoint" / name, "x");
  }
  PreflightRequest request;
  request.setup.objective.kind = ObjectiveKind::kLitgpt;
  LitgptObjective& litgpt = request.setup.objective.litgpt;
  litgpt.checkpoint_dir = (root_ / "checkpoint").string();
  litgpt.work_dir = (root_ / "work/{trial_id}").string();
  litgpt.env["PATH"] = (venv / "bin").string() + ":" + (root_ / "bin").string() + ":/usr/bin:/bin";
  request.trial_dir = (root_ / "run/trials/0").string();

  ScopedEnv gpus("NVIDIA_SMI_STANDIN_GPUS", "4");
  NodeReport report = check_node(request, "chuc-1", 3);
  EXPECT_EQ(report.host, "chuc-1");
  EXPECT_EQ(report.rank, 3);
  std::vector<std::string> names;
  for (const auto& c : report.checks) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"gpus", "litgpt", "lm_eval", "checkpoint", "disk",
                                             "datasets"}));
  EXPECT_TRUE(report.ok()) << find_check(report, "gpus").detail << " | "
                           << find_check(report, "litgpt").detail;

  ScopedEnv three("NVIDIA_SMI_STANDIN_GPUS", "3");
  report = check_node(request, "chuc-1", 3);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(find_check(report, "gpus").detail, "3 GPUs visible, objective.devices = 4");
  // The report survives the trip to rank 0.
  const NodeReport decoded = decode<NodeReport>(encode(report));
  EXPECT_EQ(decoded.host, "chuc-1");
  EXPECT_EQ(decoded.checks.size(), report.checks.size());
  EXPECT_FALSE(decoded.ok());
}

TEST_F(NodeCheckTest, CommandAndBuiltinObjectives) {
  PreflightRequest request;
  request.trial_dir = (root_ / "run/trials/0").string();
  request.setup.objective.kind = ObjectiveKind::kBuiltin;
  request.setup.objective.builtin.function = "branin";
  EXPECT_TRUE(check_node(request, "h", 1).ok());

  request.setup.objective.kind = ObjectiveKind::kCommand;
  request.setup.objective.command.argv = {"{config_dir}/train.sh", "--lr={lr}"};
  request.setup.config_dir = root_.string();
  NodeReport report = check_node(request, "h", 1);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(find_check(report, "command").detail,
            (root_ / "train.sh").string() + ": not found in PATH or not executable");
  write_file(root_ / "train.sh", "#!/bin/sh\necho 1\n", true);
  EXPECT_TRUE(check_node(request, "h", 1).ok());
}

}  // namespace
}  // namespace lorahpo

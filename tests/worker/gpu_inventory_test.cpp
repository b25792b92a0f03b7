#include "worker/gpu_inventory.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_tools.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"
#include "worker/litgpt_evaluator.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;
using testing_support::ScopedEnv;

/// `nvidia-smi -L` on a Grid'5000 chuc node (4x A100-SXM4-40GB), as nvidia-smi(1) formats it.
const char* const kFourGpus =
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-0000-4000-8000-000000000000)\n"
    "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-0000-4000-8000-000000000001)\n"
    "GPU 2: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-0000-4000-8000-000000000002)\n"
    "GPU 3: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-0000-4000-8000-000000000003)\n";

TEST(GpuListingTest, CountsGpuLines) {
  const GpuListing listing = parse_gpu_listing(kFourGpus);
  EXPECT_EQ(listing.gpus(), 4);
  EXPECT_EQ(listing.gpu_uuids[2], "GPU-5d5ba0d6-0000-4000-8000-000000000002");
  EXPECT_TRUE(listing.mig_uuids.empty());
}

TEST(GpuListingTest, ANodeWithADeadGpuListsThree) {
  // A GPU that fell off the bus is not listed at all.
  const std::string three(kFourGpus, std::string(kFourGpus).rfind("GPU 3"));
  EXPECT_EQ(parse_gpu_listing(three).gpus(), 3);
}

TEST(GpuListingTest, MigDevicesAreNotGpus) {
  const std::string text =
      "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa0000-0000-4000-8000-000000000000)\n"
      "  MIG 3g.20gb     Device  0: (UUID: MIG-bbbb0000-0000-4000-8000-000000000000)\n"
      "  MIG 3g.20gb     Device  1: (UUID: MIG-bbbb0000-0000-4000-8000-000000000001)\n"
      "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa0000-0000-4000-8000-000000000001)\n";
  const GpuListing listing = parse_gpu_listing(text);
  EXPECT_EQ(listing.gpus(), 2);
  ASSERT_EQ(listing.mig_uuids.size(), 2u);
  EXPECT_EQ(listing.mig_uuids[1], "MIG-bbbb0000-0000-4000-8000-000000000001");
  // A MIG device counts when CUDA_VISIBLE_DEVICES names it.
  EXPECT_EQ(cuda_visible_count(listing, std::string("MIG-bbbb0000-0000-4000-8000-000000000001")),
            1);
}

TEST(GpuListingTest, OtherTextIsNoGpu) {
  EXPECT_EQ(parse_gpu_listing("").gpus(), 0);
  EXPECT_EQ(parse_gpu_listing("No devices found.\n").gpus(), 0);
  EXPECT_EQ(parse_gpu_listing(
                "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n")
                .gpus(),
            0);
}

TEST(CudaVisibleCountTest, AppliesTheVariableAsTheCudaRuntimeDoes) {
  const GpuListing four = parse_gpu_listing(kFourGpus);
  EXPECT_EQ(cuda_visible_count(four, std::nullopt), 4);
  EXPECT_EQ(cuda_visible_count(four, std::string("0,1,2,3")), 4);
  EXPECT_EQ(cuda_visible_count(four, std::string("2,1")), 2);
  EXPECT_EQ(cuda_visible_count(four, std::string("")), 0);
  // The first invalid entry ends the list (CUDA Programming Guide: "0,2,-1,1" shows 0 and 2).
  EXPECT_EQ(cuda_visible_count(four, std::string("0,2,-1,1")), 2);
  EXPECT_EQ(cuda_visible_count(four, std::string("0,1,7,2")), 2);
  // UUIDs, whole or a unique prefix.
  EXPECT_EQ(cuda_visible_count(four, std::string("GPU-5d5ba0d6-0000-4000-8000-000000000003,0")), 2);
  EXPECT_EQ(cuda_visible_count(four, std::string("GPU-5d5ba0d6")), 0);  // ambiguous prefix
  EXPECT_EQ(cuda_visible_count(four, std::string("0,0")), 1);
  // A node with a dead GPU: "0,1,2,3" stops at 3.
  const GpuListing three =
      parse_gpu_listing(std::string(kFourGpus, std::string(kFourGpus).rfind("GPU 3")));
  EXPECT_EQ(cuda_visible_count(three, std::string("0,1,2,3")), 3);
}

/// A fake nvidia-smi (tests/fixtures/nvidia-smi) in PATH, its behaviour set by variables.
class GpuNodeFaultTest : public testing::Test {
 protected:
  void SetUp() override {
    testing_support::install_nvidia_smi(root_ / "bin");
    objective_.devices = 4;
    objective_.cuda_visible_devices = "0,1,2,3";
    objective_.checkpoint_dir = (root_ / "checkpoint").string();
    objective_.work_dir = (root_ / "work").string();
    request_.trial_id = 7;
    request_.trial_dir = (root_ / "trials/7").string();
  }
  std::string path() const { return (root_ / "bin").string() + ":/usr/bin:/bin"; }

  testing_support::TempDir temp_{"gpu"};
  const fs::path root_ = temp_.path();
  LitgptObjective objective_;
  EvaluateMessage request_;
};

TEST_F(GpuNodeFaultTest, FourGpusForFourDevicesIsNoFault) {
  ScopedEnv p("PATH", path());
  ScopedEnv gpus("NVIDIA_SMI_STANDIN_GPUS", "4");
  EXPECT_EQ(gpu_node_fault(objective_, request_, "/"), std::nullopt);
}

TEST_F(GpuNodeFaultTest, ThreeGpusIsAFault) {
  ScopedEnv p("PATH", path());
  ScopedEnv gpus("NVIDIA_SMI_STANDIN_GPUS", "3");
  const auto fault = gpu_node_fault(objective_, request_, "/");
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->rfind("node fault: 3 GPUs visible, objective.devices = 4", 0), 0u) << *fault;
}

TEST_F(GpuNodeFaultTest, TheTrialsCudaVisibleDevicesApplies) {
  ScopedEnv p("PATH", path());
  ScopedEnv gpus("NVIDIA_SMI_STANDIN_GPUS", "8");
  objective_.cuda_visible_devices = "4,5,6,7";
  EXPECT_EQ(gpu_node_fault(objective_, request_, "/"), std::nullopt);
  objective_.cuda_visible_devices = "6,7,8,9";
  const auto fault = gpu_node_fault(objective_, request_, "/");
  ASSERT_TRUE(fault.has_value());
  EXPECT_NE(fault->find("2 GPUs visible"), std::string::npos) << *fault;
}

TEST_F(GpuNodeFaultTest, NoDriverOrNoNvidiaSmiIsAFaultWithItsReason) {
  {
    ScopedEnv p("PATH", path());
    ScopedEnv fault_mode("NVIDIA_SMI_STANDIN_FAULT", "no-driver");
    const auto fault = gpu_node_fault(objective_, request_, "/");
    ASSERT_TRUE(fault.has_value());
    EXPECT_NE(fault->find("exited with code 9"), std::string::npos) << *fault;
    EXPECT_NE(fault->find("couldn't communicate with the NVIDIA driver"), std::string::npos)
        << *fault;
  }
  fs::remove(root_ / "bin/nvidia-smi");
  ScopedEnv p("PATH", path());
  const auto fault = gpu_node_fault(objective_, request_, "/");
  ASSERT_TRUE(fault.has_value());
  EXPECT_NE(fault->find("nvidia-smi: not found in PATH"), std::string::npos) << *fault;
}

TEST_F(GpuNodeFaultTest, TheObjectivesPathIsTheOneSearched) {
  ScopedEnv p("PATH", "/usr/bin:/bin");  // the worker's PATH has no nvidia-smi...
  objective_.env["PATH"] = path();       // ...the trial's has
  EXPECT_EQ(gpu_node_fault(objective_, request_, "/"), std::nullopt);
}

/// The campaign side: a LitGPT trial on a node with 3 GPUs is an infrastructure error, never a
/// failure of its point, and nothing of the trial runs (the stand-in litgpt is never started).
TEST_F(GpuNodeFaultTest, ALitgptTrialOnANodeWithThreeGpusIsAnError) {
  ScopedEnv p("PATH", path() + ":" + LORAHPO_SOURCE_DIR + "/tests/fixtures");
  ScopedEnv gpus("NVIDIA_SMI_STANDIN_GPUS", "3");
  fs::create_directories(root_ / "checkpoint");
  std::ofstream(root_ / "checkpoint/lit_model.pth") << "weights";
  Parameter r;
  r.name = "lora_r";
  r.type = ParamType::kInt;
  r.low = 2;
  r.high = 512;
  LitgptEvaluator evaluator(objective_, SearchSpace({r}), root_.string());
  request_.params = {ParamValue(std::int64_t{8})};
  const EvaluationOutcome outcome = evaluator.evaluate(request_);
  EXPECT_EQ(outcome.status, TrialStatus::kError);
  EXPECT_EQ(outcome.reason.rfind("node fault: 3 GPUs visible, objective.devices = 4", 0), 0u)
      << outcome.reason;
  EXPECT_FALSE(fs::exists(root_ / "work/finetune.out.log"));
}

}  // namespace
}  // namespace lorahpo

#include "common/signal_name.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <string>

namespace lorahpo {
namespace {

TEST(SignalName, NamesTheSignalsACampaignMeets) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(signal_name(SIGUSR2), "SIGUSR2");  // OAR's checkpoint signal
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
  EXPECT_EQ(signal_name(SIGPIPE), "SIGPIPE");
}

TEST(SignalName, EveryStandardSignalHasItsOwnName) {
  // Linux numbers its standard signals 1..31; each must get a distinct SIG name.
  std::set<std::string> names;
  for (int signal = 1; signal < 32; ++signal) {
    const std::string name = signal_name(signal);
    EXPECT_EQ(name.rfind("SIG", 0), 0U) << signal << " -> " << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 31U);
}

TEST(SignalName, RealTimeSignalsRelativeToSigrtmin) {
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
}

TEST(SignalName, NumbersThatAreNoSignal) {
  EXPECT_EQ(signal_name(0), "signal 0");
  EXPECT_EQ(signal_name(-4), "signal -4");
  EXPECT_EQ(signal_name(SIGRTMAX + 1), "signal " + std::to_string(SIGRTMAX + 1));
}

}  // namespace
}  // namespace lorahpo

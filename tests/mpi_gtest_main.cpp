// GoogleTest main for tests that run under mpirun: MPI is initialized around the tests, only
// rank 0 prints the usual report, and any rank that fails prints its own line and exits non-zero
// (so mpirun, and CTest, see the failure).

#include <cstdio>

#include <gtest/gtest.h>

#include "common/mpi_transport.h"

int main(int argc, char** argv) {
  lorahpo::MpiEnvironment mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int rank = lorahpo::MpiTransport().rank();
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  if (failed && rank != 0) std::fprintf(stderr, "rank %d: tests FAILED\n", rank);
  return failed;
}

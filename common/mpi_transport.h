#pragma once

#include "common/transport.h"

namespace lorahpo {

/// MPI_Init on construction, MPI_Finalize on destruction.
class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  /// Ends every rank of the job (a fatal error on one rank must not leave the others waiting).
  [[noreturn]] static void abort(int exit_code);
};

/// Transport over MPI_COMM_WORLD. The only file of lorahpo that includes <mpi.h>.
/// Messages are byte buffers sized with MPI_Probe/MPI_Get_count on the receiving side. receive()
/// polls with MPI_Iprobe and short sleeps instead of blocking in MPI_Recv, because Open MPI's
/// blocking receive spins a core: with ranks oversubscribed on a small machine, or a master
/// sharing a node with a training run, that core is better left to the work.
class MpiTransport final : public Transport {
 public:
  MpiTransport();
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void send(int destination, MessageTag tag, std::string_view payload) override;
  std::optional<Envelope> receive(std::chrono::milliseconds timeout) override;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace lorahpo

#include "common/mpi_transport.h"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace lorahpo {

MpiEnvironment::MpiEnvironment(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(argc, argv);
}

MpiEnvironment::~MpiEnvironment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiEnvironment::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return; this satisfies [[noreturn]]
}

MpiTransport::MpiTransport() {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void MpiTransport::send(int destination, MessageTag tag, std::string_view payload) {
  if (payload.size() > static_cast<std::size_t>(INT32_MAX)) {
    throw std::length_error("message too large for one MPI_Send");
  }
  const int rc = MPI_Send(payload.data(), static_cast<int>(payload.size()), MPI_BYTE, destination,
                          static_cast<int>(tag), MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) throw std::runtime_error("MPI_Send failed");
}

std::optional<Envelope> MpiTransport::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  while (true) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (flag) {
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      Envelope envelope;
      envelope.source = status.MPI_SOURCE;
      envelope.tag = static_cast<MessageTag>(status.MPI_TAG);
      envelope.payload.resize(static_cast<std::size_t>(count));
      MPI_Recv(envelope.payload.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      return envelope;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    // Back off to at most 5 ms between probes: latency stays far below any evaluation's time.
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
}

}  // namespace lorahpo

#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "common/transport.h"

namespace lorahpo {

/// In-process message passing between `size` ranks (threads), for tests and the simulator.
class LocalNetwork {
 public:
  explicit LocalNetwork(int size);
  int size() const { return static_cast<int>(mailboxes_.size()); }
  /// The transport of one rank. Each rank's endpoint must be used by one thread at a time.
  std::unique_ptr<Transport> endpoint(int rank);

 private:
  struct Mailbox {
    std::mutex mutex;
    std::condition_variable arrived;
    std::deque<Envelope> queue;
  };
  friend class LocalTransport;
  std::vector<std::unique_ptr<Mailbox>> mailboxes_;
};

}  // namespace lorahpo

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/messages.h"

namespace lorahpo {

/// A message as received: who sent it, its kind, its encoded body.
struct Envelope {
  int source = -1;
  MessageTag tag = MessageTag::kShutdown;
  std::string payload;
};

/// Point-to-point messages between ranks 0..size()-1. The scheduler and the worker loop only
/// see this interface, so they run over MPI in production and in-process in tests and in the
/// simulator. receive() is where rank 0 waits; what time it is, is a Clock's (common/clock.h).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void send(int destination, MessageTag tag, std::string_view payload) = 0;
  /// The next message from any rank, or nullopt if none arrived within `timeout`.
  virtual std::optional<Envelope> receive(std::chrono::milliseconds timeout) = 0;
};

}  // namespace lorahpo

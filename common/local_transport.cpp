#include "common/local_transport.h"

#include <stdexcept>

namespace lorahpo {

class LocalTransport final : public Transport {
 public:
  LocalTransport(LocalNetwork& network, int rank) : network_(network), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return network_.size(); }

  void send(int destination, MessageTag tag, std::string_view payload) override {
    if (destination < 0 || destination >= size()) throw std::out_of_range("no such rank");
    auto& box = *network_.mailboxes_[static_cast<std::size_t>(destination)];
    {
      std::lock_guard lock(box.mutex);
      box.queue.push_back(Envelope{rank_, tag, std::string(payload)});
    }
    box.arrived.notify_one();
  }

  std::optional<Envelope> receive(std::chrono::milliseconds timeout) override {
    auto& box = *network_.mailboxes_[static_cast<std::size_t>(rank_)];
    std::unique_lock lock(box.mutex);
    if (!box.arrived.wait_for(lock, timeout, [&] { return !box.queue.empty(); })) {
      return std::nullopt;
    }
    Envelope envelope = std::move(box.queue.front());
    box.queue.pop_front();
    return envelope;
  }

 private:
  LocalNetwork& network_;
  int rank_;
};

LocalNetwork::LocalNetwork(int size) {
  if (size < 1) throw std::invalid_argument("a network needs at least one rank");
  for (int i = 0; i < size; ++i) mailboxes_.push_back(std::make_unique<Mailbox>());
}

std::unique_ptr<Transport> LocalNetwork::endpoint(int rank) {
  if (rank < 0 || rank >= size()) throw std::out_of_range("no such rank");
  return std::make_unique<LocalTransport>(*this, rank);
}

}  // namespace lorahpo

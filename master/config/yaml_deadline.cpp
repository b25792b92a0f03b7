#include "master/config/yaml_deadline.h"

#include <exception>
#include <future>
#include <memory>
#include <thread>

namespace lorahpo {

std::vector<YAML::Node> load_all_within(
    const std::string& text, std::chrono::milliseconds deadline,
    const std::function<std::vector<YAML::Node>(const std::string&)>& parse) {
  // The thread owns everything it touches: it may outlive this call.
  auto promise = std::make_shared<std::promise<std::vector<YAML::Node>>>();
  std::future<std::vector<YAML::Node>> result = promise->get_future();
  std::thread([promise, parse, copy = text]() {
    try {
      promise->set_value(parse(copy));
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  }).detach();
  if (result.wait_for(deadline) != std::future_status::ready) throw YamlParseTimeout{deadline};
  return result.get();
}

}  // namespace lorahpo

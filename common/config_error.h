#pragma once

#include <stdexcept>
#include <string>

namespace lorahpo {

/// Bad user input: names the file, the line (1-based; 0 when unknown) and the key path, so that the
/// one catch in main() can print `quickstart.yaml:7: search_space.lora_r.low ...` and exit 2.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string key, const std::string& message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

}  // namespace lorahpo

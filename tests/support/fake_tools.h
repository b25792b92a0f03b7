#pragma once
// Test helpers: files and stand-in executables in a test's temporary folder.

#include <filesystem>
#include <fstream>
#include <string>

namespace lorahpo::testing_support {

/// Writes TEXT to PATH, creating its folder; EXECUTABLE: rwx for the owner, r for the others.
inline void write_file(const std::filesystem::path& path, const std::string& text,
                       bool executable = false) {
  namespace fs = std::filesystem;
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  if (executable)
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
}

/// tests/fixtures/nvidia-smi (the stand-in for `nvidia-smi -L`) copied into DIR, the folder a
/// test puts in PATH; NVIDIA_SMI_STANDIN_GPUS, _MIG and _FAULT set what it lists (see the
/// fixture). Returns the copy's path.
inline std::filesystem::path install_nvidia_smi(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const fs::path copy = dir / "nvidia-smi";
  fs::copy_file(fs::path(LORAHPO_SOURCE_DIR) / "tests/fixtures/nvidia-smi", copy,
                fs::copy_options::overwrite_existing);
  return copy;
}

}  // namespace lorahpo::testing_support

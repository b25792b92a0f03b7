#pragma once

#include <string>

namespace lorahpo {

/// The name of a Linux signal number as kill(1) and signal(7) write it: "SIGTERM", "SIGUSR2",
/// "SIGRTMIN+3"; "signal 77" for a number that is no signal.
///
/// Why a table of our own: glibc's sigabbrev_np() only exists since glibc 2.32, and Debian 11
/// (Grid'5000's standard image) has glibc 2.31; strsignal() gives a translated description
/// ("Terminated"), not the name. The table uses the <signal.h> macros, not numbers, so it stays
/// right on every architecture.
std::string signal_name(int signal);

}  // namespace lorahpo

#include "common/stop_signal.h"

#include <signal.h>

#include <initializer_list>

namespace lorahpo {
namespace {

volatile sig_atomic_t last_signal = 0;

extern "C" void remember_signal(int signal) {
  last_signal = signal;
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  for (const int signal : {SIGTERM, SIGINT, SIGUSR2}) sigaction(signal, &action, nullptr);
}

int stop_signal() {
  return last_signal;
}

void clear_stop_signal() {
  last_signal = 0;
}

}  // namespace lorahpo

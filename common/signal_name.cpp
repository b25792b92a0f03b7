#include "common/signal_name.h"

#include <signal.h>

#include <iterator>

namespace lorahpo {
namespace {

struct SignalEntry {
  int number;
  const char* name;
};

// The standard signals of signal(7) ("Standard signals" table, Linux man-pages 6.x), each by its
// <signal.h> macro. SIGIOT, SIGPOLL, SIGCLD and SIGUNUSED are aliases of ABRT, IO, CHLD and SYS:
// the first name wins, as in glibc's sigabbrev_np().
constexpr SignalEntry kSignals[] = {
    {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
    {SIGILL, "SIGILL"},       {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
    {SIGBUS, "SIGBUS"},       {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
    {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
#ifdef SIGSTKFLT
    {SIGSTKFLT, "SIGSTKFLT"},
#endif
    {SIGCHLD, "SIGCHLD"},     {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"},
    {SIGTSTP, "SIGTSTP"},     {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},
    {SIGURG, "SIGURG"},       {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},
#ifdef SIGPWR
    {SIGPWR, "SIGPWR"},
#endif
    {SIGSYS, "SIGSYS"},
};

}  // namespace

std::string signal_name(int signal) {
  for (const SignalEntry& entry : kSignals) {
    if (entry.number == signal) return entry.name;
  }
  // Real-time signals have no names of their own; kill -l writes them relative to SIGRTMIN.
  // SIGRTMIN is a function call in glibc (libc reserves the first few for threads).
  if (signal >= SIGRTMIN && signal <= SIGRTMAX) {
    return signal == SIGRTMIN ? std::string("SIGRTMIN")
                              : "SIGRTMIN+" + std::to_string(signal - SIGRTMIN);
  }
  return "signal " + std::to_string(signal);
}

}  // namespace lorahpo

#include "sim/store/mapped_copy.h"

#include <atomic>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

namespace lvlab::store {
namespace {

// The jump point of the copy under way on this thread, or null.
thread_local sigjmp_buf* volatile t_jump = nullptr;

struct sigaction g_previous;

void OnSigbus(int sig, siginfo_t* info, void* context) {
  if (sigjmp_buf* jump = t_jump) {
    t_jump = nullptr;
    siglongjmp(*jump, 1);
  }
  // Not a fault of ours: hand it to whoever had it before.
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // The default action: put it back, and the faulting instruction, run
  // again when this returns, raises the signal with it.
  sigaction(SIGBUS, &g_previous, nullptr);
}

void Install() {
  struct sigaction action = {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

bool CopyToMapping(void* dst, const void* src, size_t n) {
  static std::once_flag installed;
  std::call_once(installed, Install);
  sigjmp_buf jump;
  if (sigsetjmp(jump, 0) != 0) return false;  // SA_NODEFER: the mask is as it was
  t_jump = &jump;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::memcpy(dst, src, n);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_jump = nullptr;
  return true;
}

}  // namespace lvlab::store

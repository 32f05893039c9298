// Names the calling thread as top -H, ps -L and perf show it (Linux keeps
// 15 bytes; the rest is cut). The daemon's threads carry names so that a
// profile of it says which is the engine and which a drive's write-back.
#pragma once

#include <pthread.h>

#include <string>

namespace lvlab {

inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace lvlab

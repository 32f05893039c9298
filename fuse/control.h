// The control socket (LAB/run/control, a unix stream socket, mode 0600):
// how lvlab commands reach a live daemon, as LVM tools reach the kernel
// through dm ioctls.
//
// Wire format: frames of one kind byte, a 4-byte little-endian length and
// the payload. The client sends one 'c' frame — the current directory, then
// each argument, each followed by a NUL — and reads 'o' (stdout text) and
// 'e' (stderr text) frames until one 'x' frame carrying the exit code as 4
// little-endian bytes. A connection that closes before 'x' means the daemon
// went away.
//
// ControlServer accepts connections on a thread of its own and runs the
// handler on one thread per connection. Thread-safety: WriteFrame may be
// called from any thread, one writer per fd at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sim/base/status.h"

namespace lvlab::fuse {

inline constexpr char kFrameCommand = 'c';
inline constexpr char kFrameOut = 'o';
inline constexpr char kFrameErr = 'e';
inline constexpr char kFrameExit = 'x';

Status WriteFrame(int fd, char kind, std::string_view payload);
// nullopt at a clean end of stream.
Result<std::optional<std::pair<char, std::string>>> ReadFrame(int fd);

struct ControlRequest {
  std::string cwd;
  std::vector<std::string> args;
};
std::string EncodeRequest(const ControlRequest& request);
Result<ControlRequest> DecodeRequest(const std::string& payload);

class ControlServer {
 public:
  // Runs on the connection's thread; answers with frames on `fd`.
  using Handler = std::function<void(const ControlRequest& request, int fd)>;
  // Binds `path` (replacing a stale socket file) with mode 0600.
  static Result<std::unique_ptr<ControlServer>> Listen(const std::string& path, Handler handler);
  ~ControlServer();
  // Stops accepting, shuts the open connections down and waits for their
  // threads (at most a few seconds).
  void Stop();

 private:
  ControlServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::set<int> open_fds_;  // guarded by mu_
  int running_ = 0;         // connection threads alive, guarded by mu_
};

// Client side: connects to `path`; fails if nobody listens.
Result<int> ConnectControl(const std::string& path);

}  // namespace lvlab::fuse

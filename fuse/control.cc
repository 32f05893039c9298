#include "fuse/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "sim/base/thread_name.h"

namespace lvlab::fuse {
namespace {

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// 1: all read; 0: clean EOF before the first byte; -1: error or short.
int ReadAll(int fd, char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 0 : -1;
    got += static_cast<size_t>(r);
  }
  return 1;
}

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return InvalidArgument("control socket path too long (" + path +
                           "); use a shorter lab directory path");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

Status WriteFrame(int fd, char kind, std::string_view payload) {
  char head[5] = {kind};
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) head[1 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
  if (!WriteAll(fd, head, 5) || !WriteAll(fd, payload.data(), payload.size())) {
    return IOError("control connection closed");
  }
  return Status::Ok();
}

Result<std::optional<std::pair<char, std::string>>> ReadFrame(int fd) {
  char head[5];
  const int h = ReadAll(fd, head, 5);
  if (h == 0) return std::optional<std::pair<char, std::string>>();
  if (h < 0) return IOError("control connection broken");
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{static_cast<unsigned char>(head[1 + i])} << (8 * i);
  if (n > (64u << 20)) return Corrupt("control frame too large");
  std::string payload(n, '\0');
  if (n && ReadAll(fd, payload.data(), n) != 1) return IOError("control connection broken");
  return std::optional<std::pair<char, std::string>>(std::pair(head[0], std::move(payload)));
}

std::string EncodeRequest(const ControlRequest& request) {
  std::string out = request.cwd;
  out.push_back('\0');
  for (const std::string& a : request.args) {
    out += a;
    out.push_back('\0');
  }
  return out;
}

Result<ControlRequest> DecodeRequest(const std::string& payload) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at < payload.size()) {
    const size_t end = payload.find('\0', at);
    if (end == std::string::npos) return Corrupt("control request not NUL-terminated");
    parts.push_back(payload.substr(at, end - at));
    at = end + 1;
  }
  if (parts.empty()) return Corrupt("empty control request");
  ControlRequest r;
  r.cwd = parts.front();
  r.args.assign(parts.begin() + 1, parts.end());
  return r;
}

Result<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path,
                                                             Handler handler) {
  LVLAB_ASSIGN_OR_RETURN(sockaddr_un addr, Address(path));
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->path_ = path;
  s->handler_ = std::move(handler);
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return IOError("cannot create the control socket");
  ::unlink(path.c_str());
  const mode_t old = ::umask(0177);
  const int rc = ::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(s->listen_fd_, 16) != 0) {
    return IOError("cannot listen on " + path + ": " + std::strerror(errno));
  }
  s->accept_thread_ = std::thread([p = s.get()] {
    NameThisThread("lvlab control");
    p->AcceptLoop();
  });
  return s;
}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::AcceptLoop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (stopping_.load()) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.insert(fd);
      ++running_;
    }
    std::thread([this, fd] {
      NameThisThread("lvlab command");
      Serve(fd);
    }).detach();
  }
}

void ControlServer::Serve(int fd) {
  auto frame = ReadFrame(fd);
  if (frame.ok() && *frame && (*frame)->first == kFrameCommand) {
    auto request = DecodeRequest((*frame)->second);
    if (request.ok()) {
      handler_(*request, fd);
    } else {
      (void)WriteFrame(fd, kFrameErr, "  " + request.status().message() + "\n");
      (void)WriteFrame(fd, kFrameExit, std::string("\x05\0\0\0", 4));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
  --running_;
}

void ControlServer::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  ::unlink(path_.c_str());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (running_ == 0) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<int> ConnectControl(const std::string& path) {
  LVLAB_ASSIGN_OR_RETURN(sockaddr_un addr, Address(path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IOError("cannot create a socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return IOError("cannot connect to " + path + ": " + std::strerror(e));
  }
  return fd;
}

}  // namespace lvlab::fuse

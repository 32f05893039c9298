// The only file in sim/ allowed to read a wall clock: live mode's Clock.
#include <chrono>
#include <memory>
#include <thread>

#include "sim/engine/scheduler.h"

namespace lvlab::engine {
namespace {

class RealClock : public Clock {
 public:
  RealClock() : origin_(std::chrono::steady_clock::now()) {}

  uint64_t NowNs() override {
    const auto d = std::chrono::steady_clock::now() - origin_;
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  void SleepUntilNs(uint64_t time_ns) override {
    std::this_thread::sleep_until(origin_ + std::chrono::nanoseconds(time_ns));
  }

  void WaitUntilNs(uint64_t time_ns, std::condition_variable& cv,
                   std::unique_lock<std::mutex>& lock) override {
    cv.wait_until(lock, origin_ + std::chrono::nanoseconds(time_ns));
  }

 private:
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace

std::unique_ptr<Clock> NewRealClock() { return std::make_unique<RealClock>(); }

}  // namespace lvlab::engine

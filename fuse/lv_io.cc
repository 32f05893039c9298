#include "fuse/lv_io.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace lvlab::fuse {
namespace {

// Holds the completion; answers EIO if nobody answered before the last copy
// dies (the closure or the bio was dropped unrun in a power cut).
class Guard {
 public:
  explicit Guard(std::function<void(Status)> done) : done_(std::move(done)) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() { Complete(IOError("the machine lost power before the I/O completed")); }
  void Complete(Status st) {
    if (fired_.exchange(true)) return;
    done_(std::move(st));
  }

 private:
  std::function<void(Status)> done_;
  std::atomic<bool> fired_{false};
};

class IoWait {
 public:
  void Complete(Status st) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      st_ = std::move(st);
    }
    cv_.notify_one();
  }
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return st_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status st_;
};

}  // namespace

void SubmitAsync(LiveMachine& machine, const std::string& dm, uint64_t boot, engine::Bio::Op op,
                 uint64_t sector, uint64_t nsectors, uint8_t* data, uint32_t flags,
                 std::function<void(Status)> done) {
  auto guard = std::make_shared<Guard>(std::move(done));
  LiveMachine* m = &machine;
  machine.Inject([m, guard, dm, boot, op, sector, nsectors, data, flags] {
    if (m->boot() != boot) return;  // the guard answers EIO
    dm::Device* dev = m->sys().kernel().Find(dm);
    if (!dev) return guard->Complete(IOError(dm + ": no such device"));
    engine::Bio bio;
    bio.op = op;
    bio.sector = sector;
    bio.nsectors = nsectors;
    bio.flags = flags;
    bio.data = data;
    bio.done = [guard](Status st) { guard->Complete(std::move(st)); };
    dev->Submit(std::move(bio));
  });
}

Status OpenDevice(LiveMachine& machine, const std::string& dm, uint64_t boot) {
  auto wait = std::make_shared<IoWait>();
  auto guard = std::make_shared<Guard>([wait](Status st) { wait->Complete(std::move(st)); });
  LiveMachine* m = &machine;
  machine.Inject([m, guard, dm, boot] {
    dm::Device* dev = m->boot() == boot ? m->sys().kernel().Find(dm) : nullptr;
    if (!dev) return guard->Complete(NotFound(dm + ": no such device"));
    dev->Open();
    guard->Complete(Status::Ok());
  });
  return wait->Wait();
}

void CloseDevice(LiveMachine& machine, const std::string& dm, uint64_t boot) {
  LiveMachine* m = &machine;
  machine.Inject([m, dm, boot] {
    dm::Device* dev = m->boot() == boot ? m->sys().kernel().Find(dm) : nullptr;
    if (dev && dev->opens() > 0) dev->Close();
  });
}

}  // namespace lvlab::fuse

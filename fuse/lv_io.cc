#include "fuse/lv_io.h"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace lvlab::fuse {
namespace {

class IoWait {
 public:
  void Complete(Status st) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
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

// Answers EIO if nobody answered before the last copy dies.
struct Guard {
  explicit Guard(std::shared_ptr<IoWait> w) : wait(std::move(w)) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  std::shared_ptr<IoWait> wait;
  ~Guard() { wait->Complete(IOError("the machine lost power before the I/O completed")); }
};

}  // namespace

Status SubmitAndWait(LiveMachine& machine, const std::string& dm, uint64_t boot,
                     engine::Bio::Op op, uint64_t sector, uint64_t nsectors, uint8_t* data,
                     uint32_t flags) {
  auto wait = std::make_shared<IoWait>();
  auto guard = std::make_shared<Guard>(wait);
  LiveMachine* m = &machine;
  machine.Inject([m, guard, dm, boot, op, sector, nsectors, data, flags] {
    if (m->boot() != boot) return;  // the guard answers EIO
    dm::Device* dev = m->sys().kernel().Find(dm);
    if (!dev) return guard->wait->Complete(IOError(dm + ": no such device"));
    engine::Bio bio;
    bio.op = op;
    bio.sector = sector;
    bio.nsectors = nsectors;
    bio.flags = flags;
    bio.data = data;
    bio.done = [guard](Status st) { guard->wait->Complete(std::move(st)); };
    dev->Submit(std::move(bio));
  });
  guard.reset();
  return wait->Wait();
}

}  // namespace lvlab::fuse

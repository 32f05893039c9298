// delay <dev> <offset> <delay> [<write dev> <write offset> <write delay>
//       [<flush dev> <flush offset> <flush delay>]]     (dm-delay.c)
// Holds each bio for <delay> milliseconds, then sends it on. Reads use the
// first triple; writes (and discards) the second if given, else the first;
// flushes the third if given, else the writes'. A suspend sends every held
// bio on at once (delay_presuspend flushes the queues). Status INFO as
// delay_status: "<reads held> <writes held>[ <flushes held>]"; the table
// repeats the triples given.
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

struct DelayClass {
  BlockDevice* dev = nullptr;
  uint64_t offset = 0;
  uint32_t delay_ms = 0;
  std::deque<engine::Bio> held;  // FIFO: one delay per class keeps them ordered
};

class DelayTarget : public Target {
 public:
  DelayTarget(std::vector<DelayClass> classes, size_t argc, uint64_t len,
              engine::Scheduler& scheduler)
      : c_(std::move(classes)), argc_(argc), len_(len), scheduler_(scheduler) {}
  ~DelayTarget() override { *alive_ = false; }

  std::string type() const override { return "delay"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    const size_t k = bio.op == engine::Bio::Op::kRead    ? 0
                     : bio.op == engine::Bio::Op::kFlush ? 2
                                                         : 1;
    DelayClass& dc = c_[k];
    if (bio.op == engine::Bio::Op::kFlush) {
      bio.sector = 0;
      bio.nsectors = 0;
    } else {
      bio.sector = dc.offset + target_offset_sectors;
    }
    if (dc.delay_ms == 0 || suspended_) return dc.dev->Submit(std::move(bio));
    dc.held.push_back(std::move(bio));
    scheduler_.At(scheduler_.now_ns() + uint64_t{dc.delay_ms} * 1'000'000,
                  [this, k, alive = alive_] {
                    if (!*alive || c_[k].held.empty()) return;  // sent on by a suspend
                    engine::Bio b = std::move(c_[k].held.front());
                    c_[k].held.pop_front();
                    c_[k].dev->Submit(std::move(b));
                  });
  }

  void Presuspend() override {
    suspended_ = true;
    for (DelayClass& dc : c_) {
      while (!dc.held.empty()) {
        engine::Bio b = std::move(dc.held.front());
        dc.held.pop_front();
        dc.dev->Submit(std::move(b));
      }
    }
  }
  void PresuspendUndo() override { suspended_ = false; }
  void Resume() override { suspended_ = false; }

  std::string TableArgs() const override {
    std::string out;
    for (size_t k = 0; k < argc_ / 3; ++k) {
      if (k) out += " ";
      out += c_[k].dev->devno().ToString() + " " + std::to_string(c_[k].offset) + " " +
             std::to_string(c_[k].delay_ms);
    }
    return out;
  }

  std::string StatusInfo() const override {
    std::string out = std::to_string(c_[0].held.size()) + " " + std::to_string(c_[1].held.size());
    if (argc_ == 9) out += " " + std::to_string(c_[2].held.size());
    return out;
  }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    const DelayClass& dc = c_[0];
    std::optional<SectorRange> r = dc.dev->NextData(dc.offset + offset, dc.offset + end);
    if (!r) return std::nullopt;
    return SectorRange{r->first - dc.offset, r->second - dc.offset};
  }

  std::vector<DeviceArea> Areas() const override {
    std::vector<DeviceArea> out;
    for (size_t k = 0; k < argc_ / 3; ++k) out.push_back({c_[k].dev, c_[k].offset, len_});
    return out;
  }

 private:
  std::vector<DelayClass> c_;  // read, write, flush
  const size_t argc_;
  const uint64_t len_;
  engine::Scheduler& scheduler_;
  bool suspended_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Result<std::unique_ptr<Target>> NewDelayTarget(const TargetArgs& args) {
  const std::vector<std::string>& a = args.argv;
  if (a.size() != 3 && a.size() != 6 && a.size() != 9) {
    return InvalidArgument("delay: Requires exactly 3, 6 or 9 arguments");
  }
  std::vector<DelayClass> c(3);
  for (size_t k = 0; k < a.size() / 3; ++k) {
    if (!ParseSectors(a[3 * k + 1], &c[k].offset)) {
      return InvalidArgument("delay: Invalid device sector '" + a[3 * k + 1] + "'");
    }
    uint64_t ms = 0;
    if (!ParseSectors(a[3 * k + 2], &ms) || ms > UINT32_MAX) {
      return InvalidArgument("delay: Invalid delay '" + a[3 * k + 2] + "'");
    }
    c[k].delay_ms = static_cast<uint32_t>(ms);
    Result<BlockDevice*> dev = args.GetDevice(a[3 * k]);
    if (!dev.ok()) return dev.status().WithContext("delay");
    c[k].dev = *dev;
  }
  // Writes default to the reads' triple, flushes to the writes'.
  if (a.size() == 3) c[1] = DelayClass{c[0].dev, c[0].offset, c[0].delay_ms, {}};
  if (a.size() <= 6) c[2] = DelayClass{c[1].dev, c[1].offset, c[1].delay_ms, {}};
  return std::unique_ptr<Target>(
      std::make_unique<DelayTarget>(std::move(c), a.size(), args.len_sectors, *args.scheduler));
}

}  // namespace lvlab::dm

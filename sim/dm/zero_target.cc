// zero (dm-zero.c): reads return zeros, writes and discards are dropped with
// success, flushes succeed (no flush bios are sent to it). No arguments.
// NextData: never any data.
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

class ZeroTarget : public Target {
 public:
  explicit ZeroTarget(engine::Scheduler& scheduler) : scheduler_(scheduler) {}

  std::string type() const override { return "zero"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    (void)target_offset_sectors;
    if (bio.op == engine::Bio::Op::kRead && bio.nsectors > 0) {
      std::memset(bio.data, 0, bio.bytes());
    }
    CompleteLater(scheduler_, std::move(bio), Status::Ok());
  }

  std::string TableArgs() const override { return ""; }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    (void)offset;
    (void)end;
    return std::nullopt;
  }

 private:
  engine::Scheduler& scheduler_;
};

}  // namespace

Result<std::unique_ptr<Target>> NewZeroTarget(const TargetArgs& args) {
  if (!args.argv.empty()) return InvalidArgument("zero: no arguments required");
  return std::unique_ptr<Target>(std::make_unique<ZeroTarget>(*args.scheduler));
}

}  // namespace lvlab::dm

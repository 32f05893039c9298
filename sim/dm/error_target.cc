// error [<dev> <offset>] (dm-target.c io_err): every bio fails with an I/O
// error, discards included; flushes succeed because the target takes no flush
// bios (num_flush_bios = 0). The optional device is resolved (it must exist)
// but unused, and, as in the kernel, not printed back: the table line is
// just "error".
#include <memory>
#include <string>
#include <utility>

#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

class ErrorTarget : public Target {
 public:
  explicit ErrorTarget(engine::Scheduler& scheduler) : scheduler_(scheduler) {}

  std::string type() const override { return "error"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    if (bio.op == engine::Bio::Op::kFlush) {
      return CompleteLater(scheduler_, std::move(bio), Status::Ok());
    }
    Status st = IOError("error target: " + engine::Describe(bio) + " at target offset " +
                        std::to_string(target_offset_sectors) + " fails by design");
    CompleteLater(scheduler_, std::move(bio), std::move(st));
  }

  std::string TableArgs() const override { return ""; }

 private:
  engine::Scheduler& scheduler_;
};

}  // namespace

Result<std::unique_ptr<Target>> NewErrorTarget(const TargetArgs& args) {
  if (args.argv.size() != 0 && args.argv.size() != 2) {
    return InvalidArgument("error: invalid argument count: expected none or <dev> <offset>");
  }
  if (args.argv.size() == 2) {
    uint64_t offset = 0;
    if (!ParseSectors(args.argv[1], &offset)) {
      return InvalidArgument("error: invalid device sector '" + args.argv[1] + "'");
    }
    Result<BlockDevice*> dev = args.GetDevice(args.argv[0]);
    if (!dev.ok()) return dev.status().WithContext("error");
  }
  return std::unique_ptr<Target>(std::make_unique<ErrorTarget>(*args.scheduler));
}

}  // namespace lvlab::dm

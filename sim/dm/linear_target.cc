// linear <dev> <offset>: sector s of the target is sector offset+s of dev.
// Flushes pass to dev; FUA stays on data bios. No status INFO. NextData is
// dev's, shifted by offset, and so are ChangedSince and Resolve.
#include <memory>
#include <string>
#include <utility>

#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

class LinearTarget : public Target {
 public:
  LinearTarget(BlockDevice* dev, uint64_t offset, uint64_t len)
      : dev_(dev), offset_(offset), len_(len) {}

  std::string type() const override { return "linear"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    if (bio.op == engine::Bio::Op::kFlush) {
      bio.sector = 0;
      bio.nsectors = 0;
    } else {
      bio.sector = offset_ + target_offset_sectors;
    }
    dev_->Submit(std::move(bio));
  }

  std::string TableArgs() const override {
    return dev_->devno().ToString() + " " + std::to_string(offset_);
  }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    std::optional<SectorRange> r = dev_->NextData(offset_ + offset, offset_ + end);
    if (!r) return std::nullopt;
    return SectorRange{r->first - offset_, r->second - offset_};
  }

  bool ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) override {
    return dev_->ChangedSince(stamp, offset_ + offset, offset_ + end);
  }

  bool DiscardZeroes(uint64_t offset, uint64_t end) override {
    return dev_->DiscardZeroes(offset_ + offset, offset_ + end);
  }

  bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override {
    return dev_->Resolve(offset_ + offset, offset_ + end, out, newest_table);
  }

  std::vector<DeviceArea> Areas() const override { return {{dev_, offset_, len_}}; }

 private:
  BlockDevice* const dev_;
  const uint64_t offset_;
  const uint64_t len_;
};

}  // namespace

Result<std::unique_ptr<Target>> NewLinearTarget(const TargetArgs& args) {
  if (args.argv.size() != 2) {
    return InvalidArgument("linear: invalid argument count: expected <dev> <offset>, got " +
                           std::to_string(args.argv.size()) + " arguments");
  }
  uint64_t offset = 0;
  if (!ParseSectors(args.argv[1], &offset)) {
    return InvalidArgument("linear: invalid device sector '" + args.argv[1] + "'");
  }
  Result<BlockDevice*> dev = args.GetDevice(args.argv[0]);
  if (!dev.ok()) return dev.status().WithContext("linear");
  return std::unique_ptr<Target>(std::make_unique<LinearTarget>(*dev, offset, args.len_sectors));
}

}  // namespace lvlab::dm

// snapshot-origin <dev>: the origin device of LVM's snapshots
// (dm-snap.c origin_map). Reads, flushes and discards pass to <dev> (LVM's
// ORIGIN-real). A write first has every snapshot registered on <dev> copy
// the chunks it touches (SnapshotRegistry, OriginWrite), then goes to <dev>:
// the origin write reaches the disk only after the old data is copied and
// committed. No status INFO; the table is "<dev>". NextData, ChangedSince
// and Resolve are <dev>'s.
#include <memory>
#include <string>
#include <utility>

#include "sim/dm/kernel.h"
#include "sim/dm/snapshot_target.h"

namespace lvlab::dm {
namespace {

using engine::Bio;

class OriginTarget final : public Target {
 public:
  OriginTarget(Kernel* kernel, BlockDevice* dev, uint64_t len)
      : kernel_(kernel), dev_(dev), len_(len) {}

  std::string type() const override { return "snapshot-origin"; }

  void Map(Bio bio, uint64_t offset) override {
    if (bio.op == Bio::Op::kFlush) {
      bio.sector = 0;
      bio.nsectors = 0;
      dev_->Submit(std::move(bio));
      return;
    }
    bio.sector = offset;
    if (bio.op != Bio::Op::kWrite) {
      dev_->Submit(std::move(bio));
      return;
    }
    auto shared = std::make_shared<Bio>(std::move(bio));
    OriginWrite(kernel_->snapshots(), dev_, offset, shared->nsectors,
                [dev = dev_, shared] { dev->Submit(std::move(*shared)); });
  }

  std::string TableArgs() const override { return dev_->devno().ToString(); }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    return dev_->NextData(offset, end);
  }

  // Reads pass straight to <dev>.
  bool ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) override {
    return dev_->ChangedSince(stamp, offset, end);
  }
  bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override {
    return dev_->Resolve(offset, end, out, newest_table);
  }

  std::vector<DeviceArea> Areas() const override { return {{dev_, 0, len_}}; }

 private:
  Kernel* const kernel_;
  BlockDevice* const dev_;
  const uint64_t len_;
};

}  // namespace

Result<std::unique_ptr<Target>> NewSnapshotOriginTarget(const TargetArgs& args) {
  if (args.argv.size() != 1) {
    return InvalidArgument("snapshot-origin: incorrect number of arguments: expected <dev>");
  }
  Result<BlockDevice*> dev = args.GetDevice(args.argv[0]);
  if (!dev.ok()) return dev.status().WithContext("snapshot-origin: Cannot get target device");
  return std::unique_ptr<Target>(
      std::make_unique<OriginTarget>(args.kernel, *dev, args.len_sectors));
}

}  // namespace lvlab::dm

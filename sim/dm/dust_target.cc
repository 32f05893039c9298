// dust <dev> <offset> <blksz>    (dm-dust.c)
// A linear mapping with a list of bad blocks (of blksz bytes, a power of two
// from 512 to 1 GiB). While enabled ("fail_read_on_bad_block"), a read
// touching a bad block fails with EIO and a write to a bad block takes it
// off the list (the drive remaps it) and succeeds; disabled ("bypass", the
// state after load) every bio passes. Messages, as dmsetup message sends
// them: addbadblock B, removebadblock B, queryblock B, countbadblocks,
// clearbadblocks, listbadblocks, enable, disable, quiet. Status INFO:
// "<dev> fail_read_on_bad_block|bypass verbose|quiet".
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

class DustTarget : public Target {
 public:
  DustTarget(BlockDevice* dev, uint64_t offset, uint64_t len, uint32_t blksz,
             engine::Scheduler& scheduler)
      : dev_(dev),
        offset_(offset),
        len_(len),
        sect_per_block_(blksz / 512),
        blksz_(blksz),
        scheduler_(scheduler) {}

  std::string type() const override { return "dust"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    if (bio.op == engine::Bio::Op::kFlush) {
      bio.sector = 0;
      bio.nsectors = 0;
      return dev_->Submit(std::move(bio));
    }
    if (enabled_ && bio.nsectors > 0) {
      const uint64_t first = target_offset_sectors / sect_per_block_;
      const uint64_t last = (target_offset_sectors + bio.nsectors - 1) / sect_per_block_;
      if (bio.op == engine::Bio::Op::kRead) {
        auto it = bad_.lower_bound(first);
        if (it != bad_.end() && *it <= last) {
          return CompleteLater(scheduler_, std::move(bio),
                               IOError("dust: read of bad block " + std::to_string(*it)));
        }
      } else if (bio.op == engine::Bio::Op::kWrite) {
        bad_.erase(bad_.lower_bound(first), bad_.upper_bound(last));
      }
    }
    bio.sector = offset_ + target_offset_sectors;
    dev_->Submit(std::move(bio));
  }

  Status Message(const std::vector<std::string>& argv) override {
    auto block = [&](uint64_t* b) -> Status {
      if (argv.size() != 2 || !ParseSectors(argv[1], b)) {
        return InvalidArgument("dust: " + argv[0] + " needs one block number");
      }
      if (*b >= len_ / sect_per_block_) {
        return InvalidArgument("dust: block " + argv[1] + " is beyond the device's " +
                               std::to_string(len_ / sect_per_block_) + " blocks");
      }
      return Status::Ok();
    };
    if (argv.empty()) return InvalidArgument("dust: empty message");
    const std::string& m = argv[0];
    uint64_t b = 0;
    reply_.clear();
    if (m == "enable" || m == "disable") {
      enabled_ = m == "enable";
    } else if (m == "quiet") {
      quiet_ = !quiet_;
    } else if (m == "addbadblock") {
      LVLAB_RETURN_IF_ERROR(block(&b));
      if (!bad_.insert(b).second)
        return InvalidArgument("dust: block " + argv[1] + " already in badblocklist");
    } else if (m == "removebadblock") {
      LVLAB_RETURN_IF_ERROR(block(&b));
      if (!bad_.erase(b))
        return InvalidArgument("dust: block " + argv[1] + " not found in badblocklist");
    } else if (m == "queryblock") {
      LVLAB_RETURN_IF_ERROR(block(&b));
      reply_ = argv[1] + (bad_.count(b) ? " is bad" : " is not bad");
    } else if (m == "countbadblocks") {
      reply_ = "countbadblocks: " + std::to_string(bad_.size()) + " badblock(s) found";
    } else if (m == "clearbadblocks") {
      reply_ = bad_.empty() ? "dust_clear_badblocks: no badblocks found"
                            : "dust_clear_badblocks: badblocks cleared";
      bad_.clear();
    } else if (m == "listbadblocks") {
      reply_.clear();
      for (uint64_t x : bad_) reply_ += (reply_.empty() ? "" : "\n") + std::to_string(x);
    } else {
      return InvalidArgument("dust: unrecognized message '" + m + "'");
    }
    return Status::Ok();
  }

  std::string TableArgs() const override {
    return dev_->devno().ToString() + " " + std::to_string(offset_) + " " + std::to_string(blksz_);
  }

  std::string StatusInfo() const override {
    return dev_->devno().ToString() + (enabled_ ? " fail_read_on_bad_block" : " bypass") +
           (quiet_ ? " quiet" : " verbose");
  }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    std::optional<SectorRange> r = dev_->NextData(offset_ + offset, offset_ + end);
    if (!r) return std::nullopt;
    return SectorRange{r->first - offset_, r->second - offset_};
  }

  std::vector<DeviceArea> Areas() const override { return {{dev_, offset_, len_}}; }

  // The last message's answer (queryblock, countbadblocks, listbadblocks).
  std::string MessageReply() const override { return reply_; }

 private:
  BlockDevice* const dev_;
  const uint64_t offset_;
  const uint64_t len_;
  const uint64_t sect_per_block_;
  const uint32_t blksz_;
  engine::Scheduler& scheduler_;
  std::set<uint64_t> bad_;
  bool enabled_ = false;
  bool quiet_ = false;
  std::string reply_;
};

}  // namespace

Result<std::unique_ptr<Target>> NewDustTarget(const TargetArgs& args) {
  const std::vector<std::string>& a = args.argv;
  if (a.size() != 3) return InvalidArgument("dust: Invalid argument count: <dev> <offset> <blksz>");
  uint64_t offset = 0, blksz = 0;
  if (!ParseSectors(a[1], &offset)) return InvalidArgument("dust: Invalid device offset sector");
  if (!ParseSectors(a[2], &blksz) || blksz < 512 || blksz > (1u << 30) ||
      (blksz & (blksz - 1)) != 0) {
    return InvalidArgument(
        "dust: Invalid block size parameter -- please enter a power of 2 "
        "between 512 and 1073741824");
  }
  Result<BlockDevice*> dev = args.GetDevice(a[0]);
  if (!dev.ok()) return dev.status().WithContext("dust");
  return std::unique_ptr<Target>(std::make_unique<DustTarget>(
      *dev, offset, args.len_sectors, static_cast<uint32_t>(blksz), *args.scheduler));
}

}  // namespace lvlab::dm

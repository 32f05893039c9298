// flakey <dev> <offset> <up interval> <down interval> [<#features> <features>]
// (dm-flakey.c). Like linear, except that starting from the table load it is
// up for <up interval> seconds, then unreliable for <down interval> seconds,
// repeating. While down, with no feature every bio fails; the features:
//   drop_writes       writes complete successfully and are not written
//   error_writes      writes fail; reads are served
//   error_reads       reads fail; writes are served
//   corrupt_bio_byte <Nth_byte> <r|w> <value> <flags>
//                     byte N (1-based) of each matching read (after it
//                     completes) or write (before it is sent) becomes
//                     <value>; <flags> must all be set on the bio (0: any)
// Flushes always pass. Table output as flakey_status: "<dev> <offset> <up>
// <down> <#features> <features>"; no status INFO.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/units.h"
#include "sim/dm/builtin_targets.h"

namespace lvlab::dm {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;

struct FlakeyConfig {
  uint32_t up = 0, down = 0;
  bool drop_writes = false, error_writes = false, error_reads = false;
  uint32_t corrupt_byte = 0;  // 0: none
  bool corrupt_write = false;
  uint32_t corrupt_value = 0, corrupt_flags = 0;
  uint32_t features = 0;  // argument words, for the table line
};

class FlakeyTarget : public Target {
 public:
  FlakeyTarget(BlockDevice* dev, uint64_t offset, uint64_t len, FlakeyConfig c,
               engine::Scheduler& scheduler)
      : dev_(dev),
        offset_(offset),
        len_(len),
        c_(c),
        scheduler_(scheduler),
        start_ns_(scheduler.now_ns()) {}

  std::string type() const override { return "flakey"; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    if (bio.op == engine::Bio::Op::kFlush) {
      bio.sector = 0;
      bio.nsectors = 0;
      return dev_->Submit(std::move(bio));
    }
    bio.sector = offset_ + target_offset_sectors;
    if (!Down()) return dev_->Submit(std::move(bio));
    const bool write = bio.is_write();
    const bool any_feature = c_.drop_writes || c_.error_writes || c_.error_reads || c_.corrupt_byte;
    if (!any_feature || (write && c_.error_writes) || (!write && c_.error_reads)) {
      return CompleteLater(scheduler_, std::move(bio),
                           IOError("flakey: " + engine::Describe(bio) + " failed while down"));
    }
    if (write && c_.drop_writes) return CompleteLater(scheduler_, std::move(bio), Status::Ok());
    if (!Matches(bio)) return dev_->Submit(std::move(bio));
    if (write && c_.corrupt_write && bio.op == engine::Bio::Op::kWrite) {
      // The submitter's buffer stays intact: the corrupted copy goes down.
      auto copy = std::make_shared<std::vector<uint8_t>>(bio.data, bio.data + bio.bytes());
      (*copy)[c_.corrupt_byte - 1] = static_cast<uint8_t>(c_.corrupt_value);
      bio.data = copy->data();
      bio.done = [copy, done = std::move(bio.done)](Status st) { done(std::move(st)); };
    } else if (!write && !c_.corrupt_write) {
      uint8_t* at = bio.data + (c_.corrupt_byte - 1);
      const auto value = static_cast<uint8_t>(c_.corrupt_value);
      bio.done = [at, value, done = std::move(bio.done)](Status st) {
        if (st.ok()) *at = value;
        done(std::move(st));
      };
    }
    dev_->Submit(std::move(bio));
  }

  std::string TableArgs() const override {
    std::string out = dev_->devno().ToString() + " " + std::to_string(offset_) + " " +
                      std::to_string(c_.up) + " " + std::to_string(c_.down) + " " +
                      std::to_string(c_.features);
    if (c_.drop_writes) out += " drop_writes";
    if (c_.error_writes) out += " error_writes";
    if (c_.error_reads) out += " error_reads";
    if (c_.corrupt_byte) {
      out += " corrupt_bio_byte " + std::to_string(c_.corrupt_byte) + " " +
             (c_.corrupt_write ? "w" : "r") + " " + std::to_string(c_.corrupt_value) + " " +
             std::to_string(c_.corrupt_flags);
    }
    return out;
  }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    std::optional<SectorRange> r = dev_->NextData(offset_ + offset, offset_ + end);
    if (!r) return std::nullopt;
    return SectorRange{r->first - offset_, r->second - offset_};
  }

  std::vector<DeviceArea> Areas() const override { return {{dev_, offset_, len_}}; }

 private:
  bool Down() const {
    const uint64_t period = (uint64_t{c_.up} + c_.down) * kSecondNs;
    if (c_.down == 0 || period == 0) return false;
    return (scheduler_.now_ns() - start_ns_) % period >= uint64_t{c_.up} * kSecondNs;
  }

  bool Matches(const engine::Bio& bio) const {
    return c_.corrupt_byte != 0 && bio.has_data() && c_.corrupt_byte <= bio.bytes() &&
           (bio.flags & c_.corrupt_flags) == c_.corrupt_flags;
  }

  BlockDevice* const dev_;
  const uint64_t offset_;
  const uint64_t len_;
  const FlakeyConfig c_;
  engine::Scheduler& scheduler_;
  const uint64_t start_ns_;
};

bool ParseU32(const std::string& s, uint32_t* out) {
  uint64_t v = 0;
  if (!ParseSectors(s, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

Result<std::unique_ptr<Target>> NewFlakeyTarget(const TargetArgs& args) {
  const std::vector<std::string>& a = args.argv;
  if (a.size() < 4) {
    return InvalidArgument(
        "flakey: Invalid argument count: expected <dev> <offset> <up interval> "
        "<down interval> [<#features> <features>]");
  }
  uint64_t offset = 0;
  if (!ParseSectors(a[1], &offset)) return InvalidArgument("flakey: Invalid device sector");
  FlakeyConfig c;
  if (!ParseU32(a[2], &c.up)) return InvalidArgument("flakey: Invalid up interval");
  if (!ParseU32(a[3], &c.down)) return InvalidArgument("flakey: Invalid down interval");
  if (c.up == 0 && c.down == 0) {
    return InvalidArgument("flakey: Total (up + down) interval is zero");
  }
  if (a.size() > 4) {
    if (!ParseU32(a[4], &c.features) || c.features != a.size() - 5) {
      return InvalidArgument("flakey: Invalid number of feature args");
    }
    for (size_t i = 5; i < a.size(); ++i) {
      const std::string& f = a[i];
      if (f == "drop_writes") {
        if (c.drop_writes || c.error_writes) {
          return InvalidArgument("flakey: Feature drop_writes duplicated or with error_writes");
        }
        c.drop_writes = true;
      } else if (f == "error_writes") {
        if (c.drop_writes || c.error_writes) {
          return InvalidArgument("flakey: Feature error_writes duplicated or with drop_writes");
        }
        c.error_writes = true;
      } else if (f == "error_reads") {
        c.error_reads = true;
      } else if (f == "corrupt_bio_byte") {
        if (i + 4 >= a.size())
          return InvalidArgument(
              "flakey: Feature corrupt_bio_byte requires "
              "parameters");
        if (!ParseU32(a[i + 1], &c.corrupt_byte) || c.corrupt_byte == 0) {
          return InvalidArgument("flakey: Invalid corrupt bio byte parameter");
        }
        if (a[i + 2] != "r" && a[i + 2] != "w") {
          return InvalidArgument("flakey: Invalid corrupt bio direction (r or w)");
        }
        c.corrupt_write = a[i + 2] == "w";
        if (!ParseU32(a[i + 3], &c.corrupt_value) || c.corrupt_value > 255) {
          return InvalidArgument("flakey: Invalid corrupt bio value parameter (0-255)");
        }
        if (!ParseU32(a[i + 4], &c.corrupt_flags)) {
          return InvalidArgument("flakey: Invalid corrupt bio flags mask");
        }
        i += 4;
      } else {
        return InvalidArgument("flakey: Unrecognised flakey feature requested: " + f);
      }
    }
  }
  Result<BlockDevice*> dev = args.GetDevice(a[0]);
  if (!dev.ok()) return dev.status().WithContext("flakey");
  return std::unique_ptr<Target>(
      std::make_unique<FlakeyTarget>(*dev, offset, args.len_sectors, c, *args.scheduler));
}

}  // namespace lvlab::dm

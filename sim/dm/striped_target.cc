// striped <#stripes> <chunk_sectors> [<dev> <offset>]+ (dm-stripe.c).
//
// The target's sectors are cut into chunks dealt round-robin to the stripes:
// chunk c lives on stripe c % n at row c / n, so target offset o maps to
// sector physical_start + (c / n) * chunk + o % chunk of stripe c % n, where
// c = o / chunk. Bios are split at chunk boundaries (max_io_len = chunk).
// Checks, as the kernel's ctr: #stripes >= 1, chunk >= 1, the length divisible
// by #stripes and the per-stripe width divisible by the chunk, 2 + 2 * n
// arguments. A flush goes to every stripe. Errors other than on flushes count
// per stripe ('D' in the status) and raise a device event, up to 15 of them.
// STATUS INFO: "<n> <dev>... 1 <A|D per stripe>". NextData asks each stripe
// for its first data at or after the offset and answers the earliest, cut
// at the end of its chunk.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/dm/builtin_targets.h"
#include "sim/dm/device.h"

namespace lvlab::dm {
namespace {

constexpr uint32_t kIoErrorThreshold = 15;  // DM_IO_ERROR_THRESHOLD

struct Stripe {
  BlockDevice* dev;
  uint64_t physical_start;
  uint32_t error_count = 0;
};

class StripedTarget : public Target {
 public:
  StripedTarget(const TargetArgs& args, uint64_t chunk, std::vector<Stripe> stripes)
      : device_(args.device),
        chunk_(chunk),
        width_(args.len_sectors / stripes.size()),
        stripes_(std::move(stripes)) {}

  std::string type() const override { return "striped"; }
  uint64_t max_io_len() const override { return chunk_; }

  void Map(engine::Bio bio, uint64_t target_offset_sectors) override {
    if (bio.op == engine::Bio::Op::kFlush) return MapFlush(std::move(bio));
    const uint64_t chunk = target_offset_sectors / chunk_;
    const size_t index = chunk % stripes_.size();
    Stripe& s = stripes_[index];
    bio.sector =
        s.physical_start + (chunk / stripes_.size()) * chunk_ + target_offset_sectors % chunk_;
    bio.done = [this, index, done = std::move(bio.done)](Status st) {
      if (!st.ok()) CountError(index);
      done(std::move(st));
    };
    s.dev->Submit(std::move(bio));
  }

  std::string TableArgs() const override {
    std::string out = std::to_string(stripes_.size()) + " " + std::to_string(chunk_);
    for (const Stripe& s : stripes_) {
      out += " " + s.dev->devno().ToString() + " " + std::to_string(s.physical_start);
    }
    return out;
  }

  std::string StatusInfo() const override {
    std::string out = std::to_string(stripes_.size()) + " ";
    for (const Stripe& s : stripes_) out += s.dev->devno().ToString() + " ";
    out += "1 ";
    for (const Stripe& s : stripes_) out += s.error_count ? 'D' : 'A';
    return out;
  }

  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    std::optional<SectorRange> best;
    for (size_t i = 0; i < stripes_.size(); ++i) {
      std::optional<SectorRange> r = NextDataOnStripe(i, offset, end);
      if (r && (!best || r->first < best->first)) best = r;
    }
    return best;
  }

  std::vector<DeviceArea> Areas() const override {
    std::vector<DeviceArea> out;
    for (const Stripe& s : stripes_) out.push_back({s.dev, s.physical_start, width_});
    return out;
  }

 private:
  void MapFlush(engine::Bio bio) {
    auto done = JoinCompletions(stripes_.size(), std::move(bio.done));
    for (const Stripe& s : stripes_) {
      s.dev->Submit(engine::Bio{engine::Bio::Op::kFlush, 0, 0, 0, nullptr, done});
    }
  }

  // The first data of stripe `i` in target sectors [offset, end), clipped to
  // the chunk it starts in.
  std::optional<SectorRange> NextDataOnStripe(size_t i, uint64_t offset, uint64_t end) {
    if (offset >= end) return std::nullopt;
    const uint64_t n = stripes_.size();
    const uint64_t first = offset / chunk_;
    const uint64_t ci = first + (i + n - first % n) % n;  // first chunk >= offset on stripe i
    const uint64_t skip = ci == first ? offset % chunk_ : 0;
    if (ci * chunk_ + skip >= end) return std::nullopt;
    const uint64_t last = (end - 1) / chunk_;
    const uint64_t li = last - (last % n + n - i) % n;  // last chunk < end on stripe i
    const uint64_t tail = li == last ? (end - 1) % chunk_ + 1 : chunk_;
    const Stripe& s = stripes_[i];
    std::optional<SectorRange> r = s.dev->NextData(s.physical_start + (ci / n) * chunk_ + skip,
                                                   s.physical_start + (li / n) * chunk_ + tail);
    if (!r) return std::nullopt;
    const uint64_t rel = r->first - s.physical_start;
    const uint64_t row = rel / chunk_;
    const uint64_t in_chunk = rel % chunk_;
    const uint64_t len = std::min(r->second - r->first, chunk_ - in_chunk);
    const uint64_t start = (row * n + i) * chunk_ + in_chunk;
    return SectorRange{start, std::min(start + len, end)};
  }

  void CountError(size_t index) {
    Stripe& s = stripes_[index];
    ++s.error_count;
    if (s.error_count < kIoErrorThreshold && device_ != nullptr) device_->RaiseEvent();
  }

  Device* const device_;
  const uint64_t chunk_;
  const uint64_t width_;
  std::vector<Stripe> stripes_;
};

Status Invalid(const std::string& why) { return InvalidArgument("striped: " + why); }

}  // namespace

Result<std::unique_ptr<Target>> NewStripedTarget(const TargetArgs& args) {
  const std::vector<std::string>& argv = args.argv;
  if (argv.size() < 2) return Invalid("not enough arguments: <#stripes> <chunk_size> ...");
  uint64_t n = 0;
  uint64_t chunk = 0;
  if (!ParseSectors(argv[0], &n) || n == 0 || n > UINT32_MAX) {
    return Invalid("invalid stripe count '" + argv[0] + "'");
  }
  if (!ParseSectors(argv[1], &chunk) || chunk == 0 || chunk > UINT32_MAX) {
    return Invalid("invalid chunk_size '" + argv[1] + "'");
  }
  if (args.len_sectors % n != 0) {
    return Invalid("target length " + std::to_string(args.len_sectors) +
                   " not divisible by number of stripes " + std::to_string(n));
  }
  if ((args.len_sectors / n) % chunk != 0) {
    return Invalid("target length not divisible by chunk size " + std::to_string(chunk));
  }
  if (argv.size() != 2 + 2 * n) {
    return Invalid("not enough destinations specified: " + std::to_string(n) + " stripes need " +
                   std::to_string(2 + 2 * n) + " arguments");
  }
  std::vector<Stripe> stripes;
  for (uint64_t i = 0; i < n; ++i) {
    const std::string& off = argv[2 + 2 * i + 1];
    uint64_t start = 0;
    if (!ParseSectors(off, &start)) {
      return Invalid("couldn't parse stripe destination offset '" + off + "'");
    }
    Result<BlockDevice*> dev = args.GetDevice(argv[2 + 2 * i]);
    if (!dev.ok()) return dev.status().WithContext("striped");
    stripes.push_back(Stripe{*dev, start});
  }
  return std::unique_ptr<Target>(std::make_unique<StripedTarget>(args, chunk, std::move(stripes)));
}

}  // namespace lvlab::dm

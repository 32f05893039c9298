#include "sim/check/workload.h"

#include <utility>

#include "sim/base/check.h"
#include "sim/base/units.h"
#include "sim/check/sector_format.h"

namespace lvlab::check {
namespace {

constexpr uint64_t kTracedViolations = 8;
constexpr int kRandomTries = 8;

}  // namespace

using engine::Bio;

const char* PatternName(WorkloadSpec::Pattern pattern) {
  return pattern == WorkloadSpec::kSequential ? "sequential" : "random";
}

Status WorkloadSpec::Validate(uint64_t device_sectors) const {
  const std::string who = "workload " + (name.empty() ? lv : name) + ": ";
  if (lv.empty()) return InvalidArgument(who + "no LV name");
  if (block_bytes == 0 || block_bytes % kSectorSize != 0) {
    return InvalidArgument(who + "block size " + std::to_string(block_bytes) +
                           " is not a positive multiple of 512");
  }
  if (iodepth == 0) return InvalidArgument(who + "iodepth must be at least 1");
  if (write_percent > 100) return InvalidArgument(who + "write_percent above 100");
  if (offset_bytes % kSectorSize != 0 || size_bytes % block_bytes != 0) {
    return InvalidArgument(who +
                           "region offset must be sector aligned and its size a multiple of "
                           "the block size");
  }
  const uint64_t device_bytes = device_sectors * kSectorSize;
  const uint64_t region = size_bytes != 0
                              ? size_bytes
                              : (offset_bytes < device_bytes ? device_bytes - offset_bytes : 0);
  if (offset_bytes > device_bytes || region > device_bytes - offset_bytes || region < block_bytes) {
    return InvalidArgument(who + "region [" + std::to_string(offset_bytes) + ", +" +
                           std::to_string(region) + ") bytes does not hold a block inside the " +
                           std::to_string(device_bytes) + "-byte device");
  }
  return Status::Ok();
}

struct Workload::Io {
  Bio::Op op = Bio::Op::kRead;
  uint64_t block = 0;
  uint64_t sector = 0;
  uint64_t n = 0;
  std::vector<uint64_t> tokens;
  uint64_t epoch = 0;       // flushes
  uint64_t generation = 0;  // Oracle::power_losses() at submission
  std::vector<uint8_t> buf;
};

Workload::Workload(WorkloadSpec spec, dm::BlockDevice* device, Oracle* oracle,
                   engine::Scheduler* scheduler, engine::Trace* trace, uint64_t seed)
    : spec_(std::move(spec)),
      device_(device),
      oracle_(oracle),
      scheduler_(scheduler),
      trace_(trace),
      seed_(seed),
      rng_(Rng(seed).Derive("workload/" + (spec_.name.empty() ? spec_.lv : spec_.name))) {
  LVLAB_CHECK(device_ != nullptr && oracle_ != nullptr && scheduler_ != nullptr)
      << "Workload needs a device, an oracle and a scheduler";
  if (spec_.name.empty()) spec_.name = spec_.lv;
  const Status st = spec_.Validate(device_->size_sectors());
  LVLAB_CHECK(st.ok()) << st.message();
  region_start_sectors_ = spec_.offset_bytes / kSectorSize;
  const uint64_t region = spec_.size_bytes != 0
                              ? spec_.size_bytes
                              : device_->size_sectors() * kSectorSize - spec_.offset_bytes;
  block_sectors_ = spec_.block_bytes / kSectorSize;
  nblocks_ = region / spec_.block_bytes;
  if (!oracle_->tracked(spec_.lv)) oracle_->Track(spec_.lv, device_->size_sectors());
  LVLAB_CHECK(region_start_sectors_ + nblocks_ * block_sectors_ <= oracle_->size_sectors(spec_.lv))
      << "workload " << spec_.name << ": region beyond the oracle's size of " << spec_.lv;
}

Workload::~Workload() { *alive_ = false; }

void Workload::Start() {
  LVLAB_CHECK(!started_) << "workload " << spec_.name << " started twice";
  started_ = true;
  start_ns_ = scheduler_->now_ns();
  if (trace_) {
    trace_->Emit("workload-start", {{"name", spec_.name},
                                    {"lv", spec_.lv},
                                    {"dev", device_->name()},
                                    {"pattern", PatternName(spec_.pattern)},
                                    {"iodepth", spec_.iodepth},
                                    {"seed", seed_}});
  }
  Pump();
}

void Workload::Stop() {
  stopped_ = true;
  MaybeFinish();
}

void Workload::Pause() {
  paused_ = true;
  if (trace_) trace_->Emit("workload-pause", {{"name", spec_.name}});
}

void Workload::Resume() {
  paused_ = false;
  if (trace_) trace_->Emit("workload-resume", {{"name", spec_.name}});
  Pump();
}

void Workload::Rebind(dm::BlockDevice* device) {
  LVLAB_CHECK(in_flight_ == 0) << "workload " << spec_.name << ": Rebind with " << in_flight_
                               << " I/Os in flight; Pause and wait first";
  LVLAB_CHECK(device != nullptr) << "Rebind to no device";
  const Status st = spec_.Validate(device->size_sectors());
  LVLAB_CHECK(st.ok()) << st.message();
  device_ = device;
  if (trace_) trace_->Emit("workload-rebind", {{"name", spec_.name}, {"dev", device_->name()}});
}

bool Workload::BudgetSpent() const {
  if (spec_.max_ios != 0 && submitted_ios_ >= spec_.max_ios) return true;
  return spec_.max_time_ns != 0 && scheduler_->now_ns() - start_ns_ >= spec_.max_time_ns;
}

bool Workload::FlushDue() const {
  return spec_.flush_every != 0 && writes_since_flush_ >= spec_.flush_every;
}

bool Workload::done() const {
  if (!started_ || in_flight_ != 0) return false;
  return stopped_ || (BudgetSpent() && !FlushDue());
}

void Workload::Pump() {
  while (started_ && !stopped_ && !paused_ && in_flight_ < spec_.iodepth) {
    if (FlushDue()) {
      SubmitFlush();
      continue;
    }
    if (BudgetSpent()) break;
    uint64_t block = 0;
    if (!PickBlock(&block)) break;  // busy: wait for a completion
    SubmitData(rng_.Percent(spec_.write_percent), block);
  }
  MaybeFinish();
}

bool Workload::PickBlock(uint64_t* block) {
  if (spec_.pattern == WorkloadSpec::kSequential) {
    if (busy_blocks_.count(next_block_) != 0) return false;
    *block = next_block_;
    next_block_ = (next_block_ + 1) % nblocks_;
    return true;
  }
  for (int i = 0; i < kRandomTries; ++i) {
    *block = rng_.Uniform(nblocks_);
    if (busy_blocks_.count(*block) == 0) return true;
  }
  return false;
}

std::vector<uint8_t> Workload::TakeBuffer() {
  if (free_buffers_.empty()) return std::vector<uint8_t>(spec_.block_bytes);
  std::vector<uint8_t> buf = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  return buf;
}

void Workload::Submit(std::shared_ptr<Io> io, uint32_t flags) {
  ++in_flight_;
  io->generation = oracle_->power_losses();
  uint8_t* data = io->buf.empty() ? nullptr : io->buf.data();
  Bio bio{io->op, io->sector, io->n, flags, data, [this, alive = alive_, io](Status st) {
            if (*alive) OnComplete(io, st);
          }};
  device_->Submit(std::move(bio));
}

void Workload::SubmitData(bool write, uint64_t block) {
  auto io = std::make_shared<Io>();
  io->op = write ? Bio::Op::kWrite : Bio::Op::kRead;
  io->block = block;
  io->sector = region_start_sectors_ + block * block_sectors_;
  io->n = block_sectors_;
  io->buf = TakeBuffer();
  if (write) {
    const uint64_t token = oracle_->NextToken();
    io->tokens.assign(1, token);
    for (uint64_t i = 0; i < io->n; ++i) {
      FillSector(io->buf.data() + i * kSectorSize, token, io->sector + i);
    }
    oracle_->WriteSubmitted(spec_.lv, io->sector, io->n, io->tokens);
    ++writes_since_flush_;
  }
  busy_blocks_.insert(block);
  ++submitted_ios_;
  Submit(std::move(io), write && spec_.fua ? Bio::kFua : 0);
}

void Workload::SubmitFlush() {
  writes_since_flush_ = 0;
  auto io = std::make_shared<Io>();
  io->op = Bio::Op::kFlush;
  io->epoch = oracle_->FlushSubmitted(spec_.lv);
  Submit(std::move(io), 0);
}

void Workload::OnComplete(const std::shared_ptr<Io>& io, const Status& status) {
  --in_flight_;
  const bool stale = io->generation != oracle_->power_losses();
  if (io->op == Bio::Op::kFlush) {
    if (!status.ok()) {
      ++stats_.errors;
    } else {
      ++stats_.flushes;
      if (!stale) oracle_->FlushCompleted(spec_.lv, io->epoch);
    }
  } else {
    busy_blocks_.erase(io->block);
    OnData(*io, status, stale);
    free_buffers_.push_back(std::move(io->buf));
  }
  if (spec_.think_ns == 0) {
    Pump();
    return;
  }
  MaybeFinish();
  scheduler_->After(spec_.think_ns, [this, alive = alive_] {
    if (*alive) Pump();
  });
}

void Workload::OnData(const Io& io, const Status& status, bool stale) {
  const bool write = io.op == Bio::Op::kWrite;
  // A write submitted before a power loss is ignored by the oracle itself.
  if (write) oracle_->WriteCompleted(spec_.lv, io.sector, io.n, io.tokens, spec_.fua, status);
  if (!status.ok()) {
    ++stats_.errors;
    return;
  }
  ++stats_.ios;
  stats_.bytes += io.n * kSectorSize;
  if (write) {
    ++stats_.writes;
    return;
  }
  ++stats_.reads;
  if (stale) return;  // it read the machine as it was before the power loss
  const Status st = oracle_->CheckRead(spec_.lv, io.sector, io.n, io.buf.data());
  if (!st.ok()) Report(st);
}

void Workload::Report(const Status& violation) {
  ++stats_.violations;
  if (first_violation_.ok()) first_violation_ = violation;
  if (trace_ && stats_.violations <= kTracedViolations) {
    trace_->Emit("violation",
                 {{"name", spec_.name}, {"lv", spec_.lv}, {"what", violation.message()}});
  }
}

void Workload::MaybeFinish() {
  if (finished_ || !done()) return;
  finished_ = true;
  if (trace_) {
    trace_->Emit("workload-done", {{"name", spec_.name},
                                   {"ios", stats_.ios},
                                   {"reads", stats_.reads},
                                   {"writes", stats_.writes},
                                   {"flushes", stats_.flushes},
                                   {"violations", stats_.violations},
                                   {"errors", stats_.errors}});
  }
}

}  // namespace lvlab::check

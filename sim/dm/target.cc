#include "sim/dm/target.h"

#include <charconv>
#include <map>
#include <memory>
#include <utility>

#include "sim/dm/builtin_targets.h"
#include "sim/dm/device.h"
#include "sim/dm/kernel.h"
#include "sim/dm/raid_target.h"
#include "sim/dm/snapshot_target.h"

namespace lvlab::dm {
namespace {

using Registry = std::map<std::string, TargetFactory, std::less<>>;

Registry& GetRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry;
    (*r)["linear"] = NewLinearTarget;
    (*r)["mirror"] = NewMirrorTarget;
    (*r)["striped"] = NewStripedTarget;
    (*r)["error"] = NewErrorTarget;
    (*r)["zero"] = NewZeroTarget;
    (*r)["flakey"] = NewFlakeyTarget;
    (*r)["delay"] = NewDelayTarget;
    (*r)["dust"] = NewDustTarget;
    (*r)["raid"] = NewRaidTarget;
    (*r)["snapshot"] = NewSnapshotTarget;
    (*r)["snapshot-merge"] = NewSnapshotMergeTarget;
    (*r)["snapshot-origin"] = NewSnapshotOriginTarget;
    return r;
  }();
  return *registry;
}

}  // namespace

Status Target::Message(const std::vector<std::string>& argv) {
  (void)argv;
  return InvalidArgument(type() + ": target does not accept messages");
}

std::vector<DevNo> Target::Deps() const {
  std::vector<DevNo> out;
  for (const DeviceArea& a : Areas()) out.push_back(a.dev->devno());
  return out;
}

Result<BlockDevice*> TargetArgs::GetDevice(std::string_view name) const {
  LVLAB_CHECK(kernel != nullptr) << "TargetArgs without a kernel";
  BlockDevice* dev = kernel->Resolve(name);
  if (dev == nullptr) return NotFound("device lookup failed: no device " + std::string(name));
  if (device != nullptr && dev == static_cast<BlockDevice*>(device)) {
    return InvalidArgument("device " + std::string(name) + " cannot map onto itself");
  }
  return dev;
}

void RegisterTarget(std::string type, TargetFactory factory) {
  GetRegistry()[std::move(type)] = std::move(factory);
}

const TargetFactory* FindTarget(std::string_view type) {
  const Registry& r = GetRegistry();
  auto it = r.find(type);
  return it == r.end() ? nullptr : &it->second;
}

std::vector<std::string> TargetTypes() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : GetRegistry()) out.push_back(name);
  return out;
}

bool ParseSectors(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

std::function<void(Status)> JoinCompletions(size_t n, std::function<void(Status)> done) {
  LVLAB_CHECK(n >= 1) << "JoinCompletions of zero completions";
  struct Join {
    size_t left;
    Status first_error;
    std::function<void(Status)> done;
  };
  auto join = std::make_shared<Join>(Join{n, Status::Ok(), std::move(done)});
  return [join](Status st) {
    LVLAB_CHECK(join->left > 0) << "completion called more times than joined";
    if (!st.ok() && join->first_error.ok()) join->first_error = std::move(st);
    if (--join->left == 0) join->done(std::move(join->first_error));
  };
}

namespace {
constexpr char kRequeueMessage[] = "dm: requeue the bio (DM_ENDIO_REQUEUE)";
}  // namespace

Status RequeueStatus() { return Status(Code::kBusy, kRequeueMessage); }

bool IsRequeue(const Status& status) {
  return status.code() == Code::kBusy && status.message() == kRequeueMessage;
}

void CompleteLater(engine::Scheduler& scheduler, engine::Bio bio, Status status) {
  scheduler.Post([b = std::move(bio), st = std::move(status)]() mutable { b.done(st); });
}

}  // namespace lvlab::dm

// Metadata crash safety: a sequence of commands over three PVs, with the
// power cut at every disk write under every loss policy. After the reboot the
// VG must read back as exactly the version before the interrupted command or
// the one after it, never a mix, and a later command must work.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/lvm/commands.h"
#include "sim/lvm/image_store.h"
#include "sim/lvm/vg_text.h"

namespace lvlab::lvm {
namespace {

using Step = std::function<Status(Context&)>;

std::vector<Step> Steps() {
  return {
      [](Context& c) { return Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3"}, 1 << 20}); },
      [](Context& c) {
        LvcreateArgs a;
        a.vg = "vg0", a.name = "a", a.extents = "6";
        return Lvcreate(c, a);
      },
      [](Context& c) {
        LvcreateArgs a;
        a.vg = "vg0", a.name = "b", a.extents = "3", a.pvs = {"pv2"};
        return Lvcreate(c, a);
      },
      [](Context& c) {
        LvextendArgs a;
        a.lv = "vg0/a", a.extents = "+5";
        return Lvextend(c, a);
      },
      [](Context& c) { return Lvremove(c, {"vg0/b"}, true, nullptr); },
  };
}

struct Machine {
  std::shared_ptr<store::PowerDomain> power;
  std::unique_ptr<Lab> lab;
  std::unique_ptr<System> sys;
  std::ostringstream out, err;
  std::unique_ptr<Context> ctx;

  Machine(ImageStore* images, uint64_t seed) : power(std::make_shared<store::PowerDomain>(seed)) {
    Reboot(images);
  }
  void Reboot(ImageStore* images) {
    ctx.reset();
    sys.reset();
    lab.reset();
    LabOptions o;
    o.power = power;
    o.id_seed = 42;
    o.command_line = "test";
    // A view: the images outlive every Lab.
    auto view = NewImageStoreView(images);
    lab = std::move(Lab::Open(std::move(view), o)).value();
    sys = std::make_unique<System>(lab.get(), nullptr);
    ctx = std::make_unique<Context>(Context{*sys, out, err});
  }
  // The VG as the next command would see it ("" = none).
  std::string VgText() {
    auto r = lab->ReadVg("vg0");
    if (!r.ok()) return "";
    return FormatVgRaw(r->vg, TextHeader{});
  }
};

void MakePvs(Machine& m) {
  for (const char* pv : {"pv1", "pv2", "pv3"}) {
    ASSERT_TRUE(m.lab->CreatePv(pv, 16 << 20, 1 << 20).ok());
  }
}

TEST(LabCrash, EveryWriteEveryPolicyLeavesOldOrNewVg) {
  // Reference run: the committed version after each step, and the writes.
  auto ref_images = NewMemImageStore();
  Machine ref(ref_images.get(), 1);
  MakePvs(ref);
  std::vector<std::string> versions = {ref.VgText()};
  const int64_t setup_writes = ref.power->writes_seen();
  for (const Step& step : Steps()) {
    Status st = step(*ref.ctx);
    ASSERT_TRUE(st.ok()) << st.message() << ref.err.str();
    versions.push_back(ref.VgText());
  }
  const int64_t total = ref.power->writes_seen() - setup_writes;
  ASSERT_GT(total, 20);

  int checked = 0;
  for (auto policy : {store::LossPolicy::kNone, store::LossPolicy::kAll, store::LossPolicy::kRandom}) {
    for (int64_t cut = 0; cut < total; ++cut) {
      SCOPED_TRACE(std::string("policy ") + store::LossPolicyName(policy) + ", cut after write " +
                   std::to_string(cut));
      auto images = NewMemImageStore();
      Machine m(images.get(), 1000 + cut);
      MakePvs(m);
      m.power->CutAfterWrites(cut);
      size_t done = 0;
      for (const Step& step : Steps()) {
        if (!step(*m.ctx).ok()) break;
        ++done;
      }
      ASSERT_TRUE(m.power->off()) << "the cut never happened";
      m.power->Restore();
      Rng rng(cut * 3 + static_cast<int>(policy));
      for (LabPv* pv : m.lab->pvs()) pv->disk->Crash(policy, rng);
      m.Reboot(images.get());
      const std::string got = m.VgText();
      EXPECT_TRUE(got == versions[done] || (done + 1 < versions.size() && got == versions[done + 1]))
          << "after " << done << " steps the VG reads as:\n" << got;
      // The machine works again: a change commits on top of what survived.
      if (!got.empty()) {
        LvcreateArgs a;
        a.vg = "vg0", a.name = "after", a.extents = "1";
        EXPECT_TRUE(Lvcreate(*m.ctx, a).ok()) << m.err.str();
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 * total);
}

}  // namespace
}  // namespace lvlab::lvm

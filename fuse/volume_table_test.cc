#include "fuse/volume_table.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuse/control.h"
#include "fuse/routed_output.h"

namespace lvlab::fuse {
namespace {

LvFile File(const std::string& vg, const std::string& lv, uint64_t mib) {
  return LvFile{vg, lv, vg + "-" + lv, mib << 20};
}

TEST(VolumeTableTest, DirectoriesPerVgFilesPerActiveLv) {
  VolumeTable t;
  EXPECT_TRUE(t.Update({File("vg0", "lv0", 16), File("vg0", "lv1", 8), File("vg1", "a", 4)}, 1)
                  .empty());
  auto vg0 = t.Lookup(kRootIno, "vg0");
  ASSERT_TRUE(vg0 && vg0->dir);
  auto lv1 = t.Lookup(vg0->ino, "lv1");
  ASSERT_TRUE(lv1 && !lv1->dir);
  EXPECT_EQ(lv1->file.size_bytes, 8u << 20);
  EXPECT_EQ(t.Children(kRootIno).size(), 2u);
  EXPECT_EQ(t.Children(vg0->ino).size(), 2u);
  EXPECT_EQ(t.Children(vg0->ino)[0].name, "lv0");  // sorted
  EXPECT_EQ(t.TotalBytes(), 28u << 20);
}

TEST(VolumeTableTest, UnchangedFilesKeepTheirInodeChangedOnesGetANewOne) {
  VolumeTable t;
  t.Update({File("vg0", "lv0", 16), File("vg0", "lv1", 8)}, 1);
  const uint64_t vg0 = t.Lookup(kRootIno, "vg0")->ino;
  const uint64_t lv0 = t.Lookup(vg0, "lv0")->ino, lv1 = t.Lookup(vg0, "lv1")->ino;
  // lv1 grows, lv0 stays.
  auto gone = t.Update({File("vg0", "lv0", 16), File("vg0", "lv1", 12)}, 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], std::make_pair(vg0, std::string("lv1")));
  EXPECT_EQ(t.Lookup(vg0, "lv0")->ino, lv0);
  EXPECT_NE(t.Lookup(vg0, "lv1")->ino, lv1);
  auto old = t.Get(lv1);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->live);  // still known for late requests, but dead
  // Another boot: everything is new.
  t.Update({File("vg0", "lv0", 16)}, 2);
  EXPECT_NE(t.Lookup(vg0, "lv0")->ino, lv0);
  EXPECT_FALSE(t.Lookup(vg0, "lv1"));
}

TEST(VolumeTableTest, AVgWithoutActiveLvsVanishes) {
  VolumeTable t;
  t.Update({File("vg0", "lv0", 16), File("vg1", "a", 4)}, 1);
  const uint64_t vg1 = t.Lookup(kRootIno, "vg1")->ino;
  auto gone = t.Update({File("vg0", "lv0", 16)}, 1);
  EXPECT_EQ(gone.size(), 2u);  // vg1/a and vg1 itself
  EXPECT_FALSE(t.Lookup(kRootIno, "vg1"));
  EXPECT_FALSE(t.Get(vg1)->live);
}

TEST(ControlTest, RequestsAndFramesRoundTrip) {
  ControlRequest r{"/home/u", {"lvs", "-o", "lv_name,devices", ""}};
  auto back = DecodeRequest(EncodeRequest(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->cwd, r.cwd);
  EXPECT_EQ(back->args, r.args);
  EXPECT_FALSE(DecodeRequest(std::string("no terminator")).ok());

  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_TRUE(WriteFrame(fds[0], kFrameOut, "hello\n").ok());
  ASSERT_TRUE(WriteFrame(fds[0], kFrameExit, std::string("\x05\0\0\0", 4)).ok());
  close(fds[0]);
  auto f1 = ReadFrame(fds[1]);
  ASSERT_TRUE(f1.ok() && *f1);
  EXPECT_EQ((*f1)->first, kFrameOut);
  EXPECT_EQ((*f1)->second, "hello\n");
  auto f2 = ReadFrame(fds[1]);
  ASSERT_TRUE(f2.ok() && *f2);
  EXPECT_EQ((*f2)->second, std::string("\x05\0\0\0", 4));
  auto end = ReadFrame(fds[1]);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);  // clean end of stream
  close(fds[1]);
}

TEST(RoutedOutputTest, TextGoesToTheNewestSinkLineByLine) {
  std::string fallback, a, b;
  RoutedOutput out([&](std::string_view s) { fallback += s; });
  out << "boot\n";
  const int ia = out.Push([&](std::string_view s) { a += s; });
  out << "one " << 1;
  EXPECT_EQ(a, "");  // no newline yet
  out << "\n";
  const int ib = out.Push([&](std::string_view s) { b += s; });
  out << "two\n";
  out.Remove(ia);  // not the newest: b keeps receiving
  out << "three\n";
  out.Remove(ib);
  out << "four\n";
  EXPECT_EQ(fallback, "boot\nfour\n");
  EXPECT_EQ(a, "one 1\n");
  EXPECT_EQ(b, "two\nthree\n");
}

}  // namespace
}  // namespace lvlab::fuse

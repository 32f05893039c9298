#include "sim/lvm/pv_format.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sim/base/hash.h"

namespace lvlab::lvm {
namespace {

std::unique_ptr<store::Disk> NewDisk() {
  store::DiskOptions o;
  return std::make_unique<store::Disk>("pv1", store::NewMemImage(8 << 20), o);
}

PvLabel Label() {
  PvLabel l;
  l.uuid = "abcdefABCDEF0123456789ghijklmnop";
  l.device_size_bytes = 8 << 20;
  return l;
}

TEST(PvFormat, LabelRoundTripsAndIsLvmShaped) {
  auto s = EncodeLabel(Label());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(s.data()), 8), "LABELONE");
  EXPECT_EQ(std::string(reinterpret_cast<char*>(s.data()) + 24, 8), "LVM2 001");
  auto l = DecodeLabel(s.data());
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->uuid, Label().uuid);
  EXPECT_EQ(l->device_size_bytes, 8u << 20);
  EXPECT_EQ(l->pe_start_bytes, 1u << 20);
  EXPECT_EQ(l->mda_offset_bytes, 4096u);
  EXPECT_EQ(l->mda_size_bytes, (1u << 20) - 4096);
  s[100] ^= 1;
  EXPECT_EQ(DecodeLabel(s.data()).status().message(), "LVM2 label checksum mismatch");
}

TEST(PvFormat, LabelWithoutMetadataAreaRoundTrips) {
  PvLabel none = Label();
  none.mda_offset_bytes = 0;
  none.mda_size_bytes = 0;
  auto s = EncodeLabel(none);
  // pv_header: uuid, size, data area {pe_start, 0}, {0,0}, then at once the
  // metadata area list's {0,0} terminator, as LVM writes a 0-mda PV.
  const uint8_t* mda_list = s.data() + 32 + 40 + 32;
  EXPECT_EQ(std::count(mda_list, mda_list + 16, 0), 16);
  auto l = DecodeLabel(s.data());
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_FALSE(l->has_mda());
  EXPECT_EQ(l->pe_start_bytes, 1u << 20);
  EXPECT_TRUE(DecodeLabel(EncodeLabel(Label()).data())->has_mda());

  auto disk = NewDisk();
  MetadataArea mda(disk.get());
  ASSERT_TRUE(mda.Format(none, 2).ok());
  ASSERT_TRUE(mda.ReadCommitted().ok());
  EXPECT_FALSE(mda.ReadCommitted()->has_value());
  EXPECT_FALSE(mda.Precommit("vg0 { seqno = 1 }").ok()) << "no area to write metadata to";
  uint8_t sector[512];
  ASSERT_TRUE(disk->Read(kMdaOffsetBytes / 512, 1, sector).ok());
  EXPECT_EQ(std::count(sector, sector + 512, 0), 512) << "no mda header written";
}

TEST(PvFormat, MdaHeaderChecksumCoversEverythingAfterIt) {
  MdaHeader h;
  h.size = 1 << 20;
  h.committed = {512, 100, 7, 0};
  auto s = EncodeMdaHeader(h);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(s.data()) + 4, 16), kMdaMagic);
  auto back = DecodeMdaHeader(s.data());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->committed.size, 100u);
  s[300] ^= 1;
  EXPECT_FALSE(DecodeMdaHeader(s.data()).ok());
}

TEST(PvFormat, CommitProtocolHidesUncommittedText) {
  auto disk = NewDisk();
  MetadataArea mda(disk.get());
  ASSERT_TRUE(mda.Format(Label(), 3).ok());
  EXPECT_EQ(*mda.ReadMinor(), 3u);
  EXPECT_FALSE(mda.ReadCommitted()->has_value());
  ASSERT_TRUE(mda.Precommit("vg0 { seqno = 1 }").ok());
  EXPECT_FALSE(mda.ReadCommitted()->has_value()) << "precommitted text must not be read";
  ASSERT_TRUE(mda.Commit().ok());
  EXPECT_EQ(**mda.ReadCommitted(), "vg0 { seqno = 1 }");
  ASSERT_TRUE(mda.Precommit("vg0 { seqno = 2 }").ok());
  ASSERT_TRUE(mda.Revert().ok());
  EXPECT_EQ(**mda.ReadCommitted(), "vg0 { seqno = 1 }");
  ASSERT_TRUE(mda.Wipe().ok());
  EXPECT_FALSE(mda.ReadCommitted()->has_value());
}

TEST(PvFormat, CircularBufferWrapsAndChecksumsText) {
  auto disk = NewDisk();
  MetadataArea mda(disk.get());
  ASSERT_TRUE(mda.Format(Label(), 0).ok());
  // Texts of ~200 KiB wrap in a 1020 KiB area after a few commits.
  for (int i = 0; i < 12; ++i) {
    std::string text(200000 + i, static_cast<char>('a' + i));
    ASSERT_TRUE(mda.Precommit(text).ok()) << i;
    ASSERT_TRUE(mda.Commit().ok());
    ASSERT_EQ(**mda.ReadCommitted(), text) << i;
  }
  EXPECT_EQ(mda.Precommit(std::string(600000, 'x')).code(), Code::kNoSpace);
  // Damage the committed text: the read fails instead of returning garbage.
  auto h = *mda.ReadHeader();
  uint8_t sector[512];
  const uint64_t at = (h.start + h.committed.offset) / 512 + 1;
  ASSERT_TRUE(disk->Read(at, 1, sector).ok());
  sector[10] ^= 0xff;
  ASSERT_TRUE(disk->Write(at, 1, sector, true).ok());
  EXPECT_EQ(mda.ReadCommitted().status().message(), "metadata text checksum mismatch");
}

TEST(PvFormat, UuidDashing) {
  EXPECT_EQ(DashedUuid("abcdefABCDEF0123456789ghijklmnop"), "abcdef-ABCD-EF01-2345-6789-ghij-klmnop");
  EXPECT_EQ(UndashedUuid("abcdef-ABCD-EF01-2345-6789-ghij-klmnop"), "abcdefABCDEF0123456789ghijklmnop");
}

}  // namespace
}  // namespace lvlab::lvm

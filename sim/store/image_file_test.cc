#include "sim/store/image_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "sim/store/temp_dir_test_util.h"

namespace lvlab::store {
namespace {

constexpr uint64_t kChunk = 64 * 1024;

std::vector<uint8_t> Bytes(size_t n, uint8_t v) { return std::vector<uint8_t>(n, v); }

TEST(MemImageTest, HolesReadZeroAndWritesReadBack) {
  auto image = NewMemImage(1 << 20);
  EXPECT_EQ(image->Size(), 1u << 20);
  std::vector<uint8_t> buf(8192, 0xff);
  ASSERT_TRUE(image->Read(0, buf.data(), buf.size()).ok());
  EXPECT_EQ(buf, Bytes(8192, 0));
  EXPECT_EQ(image->AllocatedBytes(), 0u);

  // A write across a chunk boundary allocates both chunks.
  auto data = Bytes(4096, 0xab);
  ASSERT_TRUE(image->Write(kChunk - 2048, data.data(), data.size()).ok());
  EXPECT_EQ(image->AllocatedBytes(), 2 * kChunk);
  std::vector<uint8_t> back(4096);
  ASSERT_TRUE(image->Read(kChunk - 2048, back.data(), back.size()).ok());
  EXPECT_EQ(back, data);
}

TEST(MemImageTest, AccessPastEndIsAnError) {
  auto image = NewMemImage(4096);
  std::vector<uint8_t> buf(512);
  EXPECT_FALSE(image->Read(4096 - 256, buf.data(), buf.size()).ok());
  Status st = image->Write(4096, buf.data(), 1);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("beyond the end"), std::string::npos) << st.message();
  EXPECT_TRUE(image->Read(4096 - 512, buf.data(), buf.size()).ok());
}

TEST(MemImageTest, NextDataReportsChunks) {
  auto image = NewMemImage(10 * kChunk);
  auto data = Bytes(512, 1);
  ASSERT_TRUE(image->Write(2 * kChunk + 100, data.data(), data.size()).ok());
  ASSERT_TRUE(image->Write(3 * kChunk, data.data(), data.size()).ok());
  ASSERT_TRUE(image->Write(7 * kChunk, data.data(), data.size()).ok());
  auto e = image->NextData(0);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ(**e, std::make_pair(2 * kChunk, 4 * kChunk));
  e = image->NextData(3 * kChunk + 5);
  EXPECT_EQ(**e, std::make_pair(3 * kChunk + 5, 4 * kChunk));
  e = image->NextData(4 * kChunk);
  EXPECT_EQ(**e, std::make_pair(7 * kChunk, 8 * kChunk));
  e = image->NextData(8 * kChunk);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_value());
}

TEST(MemImageTest, PunchHoleFreesWholeChunksAndZeroesPartialOnes) {
  auto image = NewMemImage(4 * kChunk);
  auto data = Bytes(4 * kChunk, 0x5a);
  ASSERT_TRUE(image->Write(0, data.data(), data.size()).ok());
  EXPECT_EQ(image->AllocatedBytes(), 4 * kChunk);
  ASSERT_TRUE(image->PunchHole(kChunk / 2, 2 * kChunk).ok());  // half, whole, half
  EXPECT_EQ(image->AllocatedBytes(), 3 * kChunk);
  std::vector<uint8_t> back(4 * kChunk);
  ASSERT_TRUE(image->Read(0, back.data(), back.size()).ok());
  for (uint64_t i = 0; i < back.size(); ++i) {
    const bool punched = i >= kChunk / 2 && i < kChunk / 2 + 2 * kChunk;
    ASSERT_EQ(back[i], punched ? 0 : 0x5a) << "byte " << i;
  }
  auto e = image->NextData(kChunk);
  EXPECT_EQ(**e, std::make_pair(2 * kChunk, 4 * kChunk));
}

using FileImageTest = TempDirTest;

TEST_F(FileImageTest, CreateIsSparseAndRefusesToOverwrite) {
  const std::string path = Path("pv0.img");
  auto image = CreateFileImage(path, 64 << 20);
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ((*image)->Size(), uint64_t{64} << 20);
  EXPECT_LT((*image)->AllocatedBytes(), uint64_t{1} << 20);
  auto again = CreateFileImage(path, 4096);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find(path), std::string::npos);
  EXPECT_NE(again.status().message().find("remove it"), std::string::npos);
}

TEST_F(FileImageTest, SeekDataFindsWrittenExtentAndPunchHoleRemovesIt) {
  const uint64_t kMiB = 1 << 20;
  auto created = CreateFileImage(Path("pv1.img"), 16 * kMiB);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<ImageFile> image = std::move(created).value();
  auto none = image->NextData(0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a fresh image should be all hole";

  auto data = Bytes(kMiB, 0x77);
  ASSERT_TRUE(image->Write(4 * kMiB, data.data(), data.size()).ok());
  ASSERT_TRUE(image->Sync().ok());
  EXPECT_GE(image->AllocatedBytes(), kMiB);
  auto e = image->NextData(0);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->first, 4 * kMiB);
  EXPECT_EQ((*e)->second, 5 * kMiB);

  ASSERT_TRUE(image->PunchHole(4 * kMiB, kMiB).ok());
  std::vector<uint8_t> back(kMiB, 1);
  ASSERT_TRUE(image->Read(4 * kMiB, back.data(), back.size()).ok());
  EXPECT_EQ(back, Bytes(kMiB, 0));
  EXPECT_LT(image->AllocatedBytes(), kMiB);
  auto after = image->NextData(0);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST_F(FileImageTest, ReopenReadOnlySeesDataAndRefusesWrites) {
  const std::string path = Path("pv2.img");
  {
    auto image = CreateFileImage(path, 1 << 20);
    ASSERT_TRUE(image.ok());
    auto data = Bytes(512, 9);
    ASSERT_TRUE((*image)->Write(1024, data.data(), data.size()).ok());
    std::vector<uint8_t> buf(512);
    EXPECT_FALSE((*image)->Read((1 << 20) - 256, buf.data(), buf.size()).ok());
  }
  auto ro = OpenFileImage(path, /*read_only=*/true);
  ASSERT_TRUE(ro.ok()) << ro.status().message();
  EXPECT_EQ((*ro)->Size(), 1u << 20);
  std::vector<uint8_t> back(512);
  ASSERT_TRUE((*ro)->Read(1024, back.data(), back.size()).ok());
  EXPECT_EQ(back, Bytes(512, 9));
  Status st = (*ro)->Write(0, back.data(), back.size());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path), std::string::npos);

  auto missing = OpenFileImage(Path("nope.img"), false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.img"), std::string::npos);
}

// Small writes are stores into a mapping of the image (image_file.cc): they
// reach the file itself, and a store the mapping cannot take is done by
// pwrite instead.
TEST_F(FileImageTest, SmallWritesReachTheFileEvenWhereTheMappingCannot) {
  const std::string path = Path("pv3.img");
  auto created = CreateFileImage(path, 1 << 20);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<ImageFile> image = std::move(created).value();
  auto small = Bytes(4096, 0x3c);
  ASSERT_TRUE(image->Write(8192, small.data(), small.size()).ok());
  auto large = Bytes(256 << 10, 0x4d);
  ASSERT_TRUE(image->Write(512 << 10, large.data(), large.size()).ok());
  {
    auto reader = OpenFileImage(path, /*read_only=*/true);  // another descriptor
    ASSERT_TRUE(reader.ok());
    std::vector<uint8_t> back(4096);
    ASSERT_TRUE((*reader)->Read(8192, back.data(), back.size()).ok());
    EXPECT_EQ(back, small);
    back.resize(large.size());
    ASSERT_TRUE((*reader)->Read(512 << 10, back.data(), back.size()).ok());
    EXPECT_EQ(back, large);
  }

  // The file shrinks under the image: a store past the new end would raise
  // SIGBUS; the write goes by pwrite and lands.
  ASSERT_EQ(::truncate(path.c_str(), 64 << 10), 0);
  auto late = Bytes(4096, 0x6e);
  Status st = image->Write(768 << 10, late.data(), late.size());
  ASSERT_TRUE(st.ok()) << st.message();
  std::vector<uint8_t> back(4096);
  ASSERT_TRUE(image->Read(768 << 10, back.data(), back.size()).ok());
  EXPECT_EQ(back, late);
  ASSERT_TRUE(image->Sync().ok());
}

}  // namespace
}  // namespace lvlab::store

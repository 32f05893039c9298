#include "sim/store/mapped_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "sim/store/temp_dir_test_util.h"

namespace lvlab::store {
namespace {

class MappedCopyTest : public TempDirTest {
 protected:
  // A shared mapping of two pages of a file that then shrinks to one: a
  // store into the second page raises SIGBUS.
  void SetUp() override {
    TempDirTest::SetUp();
    page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    fd_ = ::open(Path("f").c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(::ftruncate(fd_, static_cast<off_t>(2 * page_)), 0);
    void* map = ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    ASSERT_NE(map, MAP_FAILED);
    map_ = static_cast<uint8_t*>(map);
    ASSERT_EQ(::ftruncate(fd_, static_cast<off_t>(page_)), 0);
  }
  void TearDown() override {
    if (map_ != nullptr) ::munmap(map_, 2 * page_);
    if (fd_ >= 0) ::close(fd_);
    TempDirTest::TearDown();
  }

  size_t page_ = 0;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
};

TEST_F(MappedCopyTest, CopiesIntoTheFileAndReportsSigbusInsteadOfDying) {
  std::vector<uint8_t> data(page_, 0x5a);
  ASSERT_TRUE(CopyToMapping(map_, data.data(), 100));
  std::vector<uint8_t> back(100);
  ASSERT_EQ(::pread(fd_, back.data(), back.size(), 0), 100);
  EXPECT_EQ(back, std::vector<uint8_t>(100, 0x5a)) << "the store reached the file's page cache";

  // Past the end of the file: SIGBUS, caught, more than once, and a copy
  // that starts in the file and runs past its end fails the same way.
  EXPECT_FALSE(CopyToMapping(map_ + page_, data.data(), 64));
  EXPECT_FALSE(CopyToMapping(map_ + page_, data.data(), 64));
  EXPECT_FALSE(CopyToMapping(map_ + page_ / 2, data.data(), page_));
  EXPECT_TRUE(CopyToMapping(map_ + 200, data.data(), 100)) << "the thread copies again afterwards";
}

TEST_F(MappedCopyTest, ASigbusOutsideACopyStillKills) {
  std::vector<uint8_t> data(64, 1);
  ASSERT_FALSE(CopyToMapping(map_ + page_, data.data(), data.size()));  // the handler is in
  EXPECT_DEATH(
      {
        std::memcpy(map_ + page_, data.data(), data.size());
        std::fprintf(stderr, "survived");
      },
      "");
}

}  // namespace
}  // namespace lvlab::store

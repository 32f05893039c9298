#define FUSE_USE_VERSION 312
#include "fuse/open_flags.h"

#include <gtest/gtest.h>
#include <linux/fuse.h>
#include <unistd.h>

#include <cstring>

namespace lvlab::fuse {
namespace {

// Sends an open reply for handle `fh` through the custom writev into a pipe
// and returns the open_flags the kernel would read.
uint32_t SentFlags(uint64_t fh, uint32_t flags) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  fuse_out_header head{};
  fuse_open_out open{};
  open.fh = fh;
  open.open_flags = flags;
  head.len = sizeof(head) + sizeof(open);
  struct iovec iov[2] = {{&head, sizeof(head)}, {&open, sizeof(open)}};
  EXPECT_EQ(OpenFlagWritev(p[1], iov, 2, nullptr), static_cast<ssize_t>(head.len));
  char buf[sizeof(head) + sizeof(open)];
  EXPECT_EQ(::read(p[0], buf, sizeof(buf)), static_cast<ssize_t>(sizeof(buf)));
  ::close(p[0]);
  ::close(p[1]);
  fuse_open_out got;
  std::memcpy(&got, buf + sizeof(head), sizeof(got));
  return got.open_flags;
}

TEST(OpenFlagsTest, TheMarkedHandlesOpenReplyAsksForParallelDirectWrites) {
  MarkParallelDirectWrites(42);
  EXPECT_EQ(SentFlags(42, FOPEN_DIRECT_IO), FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
}

TEST(OpenFlagsTest, OtherRepliesAndLaterOnesAreSentAsTheyAre) {
  MarkParallelDirectWrites(42);
  EXPECT_EQ(SentFlags(7, FOPEN_KEEP_CACHE), FOPEN_KEEP_CACHE);  // another handle
  EXPECT_EQ(SentFlags(42, FOPEN_DIRECT_IO), FOPEN_DIRECT_IO);   // the mark was used up
}

}  // namespace
}  // namespace lvlab::fuse

// The callback table of LvFs (lv_fs_ops.cc).
#pragma once

struct fuse_lowlevel_ops;

namespace lvlab::fuse {

const fuse_lowlevel_ops& LvFsOps();

}  // namespace lvlab::fuse

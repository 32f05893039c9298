// The callback table of LvFs (lv_fs_ops.cc). Include after fuse_lowlevel.h.
#pragma once

namespace lvlab::fuse {

const fuse_lowlevel_ops& LvFsOps();

}  // namespace lvlab::fuse

// LVM's naming rules for VGs, LVs and device-mapper names.
#pragma once

#include <string>

#include "sim/base/status.h"

namespace lvlab::lvm {

// VG and LV names: letters, digits, '+', '_', '.', '-' (not first), not "."
// or "..", at most 127 characters (lib/misc/lvm-string.c validate_name).
Status CheckVgName(const std::string& name);
// LV names also may not start with "pvmove" or "snapshot" nor contain the
// reserved sub-LV suffixes (_mlog, _mimage, _rimage, _rmeta, _cdata, _cmeta,
// _tdata, _tmeta, _vorigin, ...), as lvcreate refuses them.
Status CheckLvName(const std::string& name);
// The device-mapper name of VG/LV: dashes doubled, joined by one dash
// ("my-vg", "lv" -> "my--vg-lv"). A layer node "lv:real" gives LVM's layer
// name "vg-lv-real".
std::string DmName(const std::string& vg, const std::string& lv);

}  // namespace lvlab::lvm

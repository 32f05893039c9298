#include "sim/lvm/names.h"

#include <algorithm>
#include <cctype>

namespace lvlab::lvm {
namespace {

Status CheckName(const std::string& what, const std::string& name) {
  auto ok_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '_' || c == '.' ||
           c == '-';
  };
  if (name.empty()) return InvalidArgument(what + " name is empty");
  if (name.size() > 127) return InvalidArgument(what + " name \"" + name + "\" is too long");
  if (name[0] == '-' || name == "." || name == ".." ||
      !std::all_of(name.begin(), name.end(), ok_char)) {
    return InvalidArgument(what + " name \"" + name +
                           "\" is invalid: use letters, digits, '+', '_', '.', '-' (not first)");
  }
  return Status::Ok();
}

}  // namespace

Status CheckVgName(const std::string& name) { return CheckName("Volume group", name); }

Status CheckLvName(const std::string& name) {
  LVLAB_RETURN_IF_ERROR(CheckName("Logical volume", name));
  for (const char* prefix : {"pvmove", "snapshot"}) {
    if (name.rfind(prefix, 0) == 0) {
      return InvalidArgument("Names starting \"" + std::string(prefix) +
                             "\" are reserved. Please choose a different LV name.");
    }
  }
  static const char* kReserved[] = {"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_mimage",
                                    "_mlog",  "_pmspare", "_rimage", "_rmeta", "_tdata",
                                    "_tmeta", "_vorigin", "_vdata", "_wcorig"};
  for (const char* r : kReserved) {
    if (name.find(r) != std::string::npos) {
      return InvalidArgument("Names including \"" + std::string(r) +
                             "\" are reserved. Please choose a different LV name.");
    }
  }
  return Status::Ok();
}

std::string DmName(const std::string& vg, const std::string& lv) {
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      out += c;
      if (c == '-') out += '-';
    }
    return out;
  };
  // An activation node "lv:layer" (lv0:real, snap:cow) is LVM's layer
  // device: the layer is appended unescaped (build_dm_name).
  const size_t colon = lv.find(':');
  if (colon != std::string::npos) {
    return escape(vg) + "-" + escape(lv.substr(0, colon)) + "-" + lv.substr(colon + 1);
  }
  return escape(vg) + "-" + escape(lv);
}

}  // namespace lvlab::lvm

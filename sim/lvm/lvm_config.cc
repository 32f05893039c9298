// lvm.conf settings (lvm_config.h).
#include "sim/lvm/lvm_config.h"

#include <vector>

#include "sim/lvm/config_tree.h"

namespace lvlab::lvm {
namespace {

struct Setting {
  const char* path;
  std::string LvmConfig::*field;
  std::vector<std::string_view> values;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"activation/mirror_image_fault_policy",
       &LvmConfig::mirror_image_fault_policy,
       {"remove", "allocate"}},
      {"activation/mirror_log_fault_policy",
       &LvmConfig::mirror_log_fault_policy,
       {"remove", "allocate"}},
      {"activation/raid_fault_policy",
       &LvmConfig::raid_fault_policy,
       {"warn", "allocate", "replace"}},
  };
  return kSettings;
}

// Flattens sections into "section/key" paths.
void Flatten(const std::vector<ConfigNode>& nodes, const std::string& prefix,
             std::vector<std::pair<std::string, const ConfigNode*>>* out) {
  for (const ConfigNode& n : nodes) {
    const std::string path = prefix.empty() ? n.key : prefix + "/" + n.key;
    if (n.is_section) {
      Flatten(n.children, path, out);
    } else {
      out->emplace_back(path, &n);
    }
  }
}

}  // namespace

Status LvmConfig::Apply(std::string_view text) {
  LVLAB_ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, ParseConfig(text));
  std::vector<std::pair<std::string, const ConfigNode*>> flat;
  Flatten(nodes, "", &flat);
  LvmConfig next = *this;
  for (const auto& [path, node] : flat) {
    const Setting* setting = nullptr;
    for (const Setting& s : Settings()) {
      if (path == s.path) setting = &s;
    }
    if (!setting) {
      return InvalidArgument("Configuration setting \"" + path +
                             "\" unknown (the lab models activation/mirror_image_fault_policy, "
                             "activation/mirror_log_fault_policy and "
                             "activation/raid_fault_policy).");
    }
    const std::string value =
        node->value.kind == ConfigValue::Kind::kString ? node->value.s : std::string();
    bool ok = false;
    std::string choices;
    for (std::string_view v : setting->values) {
      ok = ok || value == v;
      choices += (choices.empty() ? "" : ", ") + std::string(v);
    }
    if (!ok) {
      return InvalidArgument("Configuration setting \"" + path + "\" takes " + choices +
                             ", not \"" + (value.empty() ? FormatConfigValue(node->value) : value) +
                             "\".");
    }
    next.*(setting->field) = value;
  }
  *this = next;
  return Status::Ok();
}

std::string LvmConfig::Describe() const {
  const LvmConfig defaults;
  std::string out;
  for (const Setting& s : Settings()) {
    if (this->*(s.field) != defaults.*(s.field)) {
      out += std::string(s.path) + "=" + this->*(s.field) + "\n";
    }
  }
  return out;
}

}  // namespace lvlab::lvm

// Where a lab's PV images live: a directory of sparse files (LAB/pvs/NAME.img)
// or memory (simulated runs and tests). An ImageStore names images, creates,
// opens and removes them; it keeps no other state. Single-threaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/store/image_file.h"

namespace lvlab::lvm {

class ImageStore {
 public:
  virtual ~ImageStore() = default;
  // PV names (file stems), sorted.
  virtual std::vector<std::string> List() = 0;
  virtual Result<std::unique_ptr<store::ImageFile>> Create(const std::string& name,
                                                           uint64_t size_bytes) = 0;
  virtual Result<std::unique_ptr<store::ImageFile>> Open(const std::string& name) = 0;
  virtual Status Remove(const std::string& name) = 0;
  // What to show a user for `name` ("LAB/pvs/pv1.img").
  virtual std::string Describe(const std::string& name) const = 0;
};

std::unique_ptr<ImageStore> NewDirImageStore(std::string pvs_dir);
// Images live as long as the store; Open hands out views of them.
std::unique_ptr<ImageStore> NewMemImageStore();
// A store that forwards to `base` (not owned), so that images outlive the
// Lab that opened them (a simulated reboot opens them again).
std::unique_ptr<ImageStore> NewImageStoreView(ImageStore* base);

// PV names are used as file names and in metadata: letters, digits, '_',
// '.', '+', '-' (not first), at most 64 characters.
Status CheckPvName(const std::string& name);

}  // namespace lvlab::lvm

#include "sim/lvm/image_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

namespace lvlab::lvm {
namespace {

namespace fs = std::filesystem;

class DirImageStore : public ImageStore {
 public:
  explicit DirImageStore(std::string dir) : dir_(std::move(dir)) {}

  std::vector<std::string> List() override {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      if (e.path().extension() == ".img") names.push_back(e.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  Result<std::unique_ptr<store::ImageFile>> Create(const std::string& name, uint64_t size) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return IOError("cannot create " + dir_ + ": " + ec.message());
    return store::CreateFileImage(Path(name), size);
  }
  Result<std::unique_ptr<store::ImageFile>> Open(const std::string& name) override {
    return store::OpenFileImage(Path(name), false);
  }
  Status Remove(const std::string& name) override {
    std::error_code ec;
    if (!fs::remove(Path(name), ec)) {
      return IOError("cannot remove " + Path(name) + (ec ? ": " + ec.message() : ""));
    }
    return Status::Ok();
  }
  std::string Describe(const std::string& name) const override { return Path(name); }

 private:
  std::string Path(const std::string& name) const { return dir_ + "/" + name + ".img"; }
  std::string dir_;
};

class MemImageStore : public ImageStore {
 public:
  std::vector<std::string> List() override {
    std::vector<std::string> names;
    for (const auto& [name, image] : images_) names.push_back(name);
    return names;
  }
  Result<std::unique_ptr<store::ImageFile>> Create(const std::string& name, uint64_t size) override {
    if (images_.count(name)) return AlreadyExists(Describe(name) + " already exists");
    images_[name] = store::NewMemImage(size);
    return Open(name);
  }
  Result<std::unique_ptr<store::ImageFile>> Open(const std::string& name) override {
    auto it = images_.find(name);
    if (it == images_.end()) return NotFound(Describe(name) + " does not exist");
    return store::NewImageView(it->second.get());
  }
  Status Remove(const std::string& name) override {
    if (!images_.erase(name)) return NotFound(Describe(name) + " does not exist");
    return Status::Ok();
  }
  std::string Describe(const std::string& name) const override { return "memory:" + name; }

 private:
  std::map<std::string, std::unique_ptr<store::ImageFile>> images_;
};

class StoreView : public ImageStore {
 public:
  explicit StoreView(ImageStore* base) : base_(base) {}
  std::vector<std::string> List() override { return base_->List(); }
  Result<std::unique_ptr<store::ImageFile>> Create(const std::string& n, uint64_t s) override {
    return base_->Create(n, s);
  }
  Result<std::unique_ptr<store::ImageFile>> Open(const std::string& n) override {
    return base_->Open(n);
  }
  Status Remove(const std::string& n) override { return base_->Remove(n); }
  std::string Describe(const std::string& n) const override { return base_->Describe(n); }

 private:
  ImageStore* base_;
};

}  // namespace

std::unique_ptr<ImageStore> NewImageStoreView(ImageStore* base) {
  return std::make_unique<StoreView>(base);
}

std::unique_ptr<ImageStore> NewDirImageStore(std::string pvs_dir) {
  return std::make_unique<DirImageStore>(std::move(pvs_dir));
}
std::unique_ptr<ImageStore> NewMemImageStore() { return std::make_unique<MemImageStore>(); }

Status CheckPvName(const std::string& name) {
  auto ok_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' ||
           c == '-';
  };
  if (name.empty() || name.size() > 64 || name[0] == '-' || name == "." || name == ".." ||
      !std::all_of(name.begin(), name.end(), ok_char)) {
    return InvalidArgument("invalid PV name \"" + name +
                           "\": use 1-64 letters, digits, '_', '.', '+' or '-' (not first)");
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm

// RoutedOutput: an ostream whose text goes to whoever is listening now.
//
// The live daemon has one long-lived lvm::Context for its whole life (the
// pvmove pollers keep references to its streams), but each command's output
// belongs to the client that sent it. A command pushes a sink on entry and
// removes it when done (a foreground pvmove keeps it while it waits for its
// pollers); text goes to the sink pushed last, or to the fallback (the
// daemon's log) when none is. Text is handed over line by line, and
// whatever is left at Remove or flush.
//
// Thread-safety: none; used on the engine thread only. Sinks are owned by
// the caller and must stay valid until popped.
#pragma once

#include <functional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvlab::fuse {

class RoutedOutput : public std::ostream {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit RoutedOutput(Sink fallback);

  // Returns the sink's id for Remove.
  int Push(Sink sink);
  void Remove(int id);

 private:
  class Buf : public std::streambuf {
   public:
    explicit Buf(RoutedOutput* owner) : owner_(owner) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    RoutedOutput* owner_;
  };
  void Emit(bool all);

  Sink fallback_;
  std::vector<std::pair<int, Sink>> sinks_;
  int next_id_ = 1;
  std::string pending_;
  Buf buf_{this};
};

}  // namespace lvlab::fuse

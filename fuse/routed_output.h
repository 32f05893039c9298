// RoutedOutput: an ostream whose text goes to whoever is listening now.
//
// The live daemon has one long-lived lvm::Context for its whole life (the
// pvmove pollers keep references to its streams), but each command's output
// belongs to the client that sent it. A command pushes a sink on entry and
// pops it when done; text written while no sink is pushed goes to the
// fallback (the daemon's own stderr, or nowhere). Text is handed to the
// sink line by line, and whatever is left at Pop or flush.
//
// Thread-safety: none; used on the engine thread only. Sinks are owned by
// the caller and must stay valid until popped.
#pragma once

#include <functional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace lvlab::fuse {

class RoutedOutput : public std::ostream {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit RoutedOutput(Sink fallback);

  void Push(Sink sink);
  void Pop();

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
  std::vector<Sink> sinks_;
  std::string pending_;
  Buf buf_{this};
};

}  // namespace lvlab::fuse

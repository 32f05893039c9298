#include "fuse/routed_output.h"

namespace lvlab::fuse {

RoutedOutput::RoutedOutput(Sink fallback) : std::ostream(nullptr), fallback_(std::move(fallback)) {
  rdbuf(&buf_);
}

int RoutedOutput::Push(Sink sink) {
  Emit(true);
  sinks_.emplace_back(next_id_, std::move(sink));
  return next_id_++;
}

void RoutedOutput::Remove(int id) {
  Emit(true);
  for (auto it = sinks_.begin(); it != sinks_.end(); ++it) {
    if (it->first == id) {
      sinks_.erase(it);
      return;
    }
  }
}

void RoutedOutput::Emit(bool all) {
  size_t n = all ? pending_.size() : pending_.rfind('\n');
  if (n == std::string::npos || n == 0) return;
  if (!all) ++n;  // through the newline
  const Sink& sink = sinks_.empty() ? fallback_ : sinks_.back().second;
  if (sink) sink(std::string_view(pending_).substr(0, n));
  pending_.erase(0, n);
}

RoutedOutput::Buf::int_type RoutedOutput::Buf::overflow(int_type c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  owner_->pending_.push_back(static_cast<char>(c));
  if (c == '\n') owner_->Emit(false);
  return c;
}

std::streamsize RoutedOutput::Buf::xsputn(const char* s, std::streamsize n) {
  owner_->pending_.append(s, static_cast<size_t>(n));
  if (std::string_view(s, static_cast<size_t>(n)).find('\n') != std::string_view::npos) {
    owner_->Emit(false);
  }
  return n;
}

int RoutedOutput::Buf::sync() {
  owner_->Emit(true);
  return 0;
}

}  // namespace lvlab::fuse

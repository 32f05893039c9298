#include "sim/engine/bio.h"

#include <cstdio>

namespace lvlab::engine {

std::string_view OpName(Bio::Op op) {
  switch (op) {
    case Bio::Op::kRead:
      return "read";
    case Bio::Op::kWrite:
      return "write";
    case Bio::Op::kFlush:
      return "flush";
    case Bio::Op::kDiscard:
      return "discard";
  }
  return "unknown";
}

std::string FlagsString(uint32_t flags) {
  std::string out;
  auto add = [&out](std::string_view s) {
    if (!out.empty()) out += '|';
    out += s;
  };
  if (flags & Bio::kPreflush) add("PREFLUSH");
  if (flags & Bio::kFua) add("FUA");
  const uint32_t rest = flags & ~(Bio::kPreflush | Bio::kFua);
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", rest);
    add(buf);
  }
  return out;
}

std::string Describe(const Bio& bio) {
  std::string out(OpName(bio.op));
  if (bio.op != Bio::Op::kFlush || bio.nsectors != 0) {
    out += ' ';
    out += std::to_string(bio.sector);
    out += '+';
    out += std::to_string(bio.nsectors);
  }
  const std::string flags = FlagsString(bio.flags);
  if (!flags.empty()) {
    out += ' ';
    out += flags;
  }
  return out;
}

}  // namespace lvlab::engine

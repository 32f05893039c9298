// Reading and writing VG metadata text. The layout rules (what goes where,
// which lines get comments, where the blank lines are) follow
// lib/format_text/export.c; see vg_text.h for the choices lvlab makes.
#include "sim/lvm/vg_text.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <optional>
#include <set>

#include "sim/base/units.h"

namespace lvlab::lvm {
namespace {

constexpr std::string_view kContents = "Text Format Volume Group";
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// ---------------------------------------------------------------- times --

bool BrokenDown(int64_t t, int offset, std::tm* tm) {
  constexpr int64_t kLimit = int64_t{1} << 50;  // far beyond any year gmtime_r can show
  if (t > kLimit || t < -kLimit) return false;
  const std::time_t tt = static_cast<std::time_t>(t + offset);
  return gmtime_r(&tt, tm) != nullptr;
}

// ctime(3) without its newline: "Thu Apr 16 12:00:00 2026".
std::string Ctime(int64_t t, int offset) {
  std::tm tm{};
  if (!BrokenDown(t, offset, &tm)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday],
                kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                tm.tm_year + 1900);
  return buf;
}

// strftime "%Y-%m-%d %T %z": "2026-04-16 11:46:40 +0000".
std::string LvTime(int64_t t, int offset) {
  std::tm tm{};
  if (!BrokenDown(t, offset, &tm)) return "";
  const int a = offset < 0 ? -offset : offset;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d %c%02d%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+',
                a / 3600, a / 60 % 60);
  return buf;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool PlausibleOffset(int64_t off) { return off % 60 == 0 && off >= -16 * 3600 && off <= 16 * 3600; }

// The writer's offset from a ctime comment for time `t`, if it reads as one.
std::optional<int> OffsetFromCtime(std::string_view text, int64_t t) {
  char day[4], mon[4];
  int mday, h, mi, s, year;
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%3s %3s %2d %2d:%2d:%2d %5d", day, mon, &mday, &h, &mi, &s,
                  &year) != 7) {
    return std::nullopt;
  }
  int m = 0;
  while (m < 12 && std::string_view(kMonths[m]) != mon) ++m;
  if (m == 12) return std::nullopt;
  const int64_t local = DaysFromCivil(year, m + 1, mday) * 86400 + h * 3600 + mi * 60 + s;
  if (!PlausibleOffset(local - t)) return std::nullopt;
  return static_cast<int>(local - t);
}

// The offset in an LV time comment's trailing "+0900".
std::optional<int> OffsetFromLvTime(std::string_view text) {
  const size_t sp = text.rfind(' ');
  if (sp == std::string_view::npos || text.size() - sp != 6) return std::nullopt;
  const std::string_view z = text.substr(sp + 1);
  if (z[0] != '+' && z[0] != '-') return std::nullopt;
  for (size_t k = 1; k < 5; ++k) {
    if (z[k] < '0' || z[k] > '9') return std::nullopt;
  }
  const int v = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600 + ((z[3] - '0') * 10 + (z[4] - '0')) * 60;
  return z[0] == '-' ? -v : v;
}

// -------------------------------------------------------------- reading --

// The modelled keys of one section, taken one by one; what is left is extra.
class Fields {
 public:
  Fields(const ConfigNode& section, std::string where)
      : section_(section), where_(std::move(where)), used_(section.children.size(), false) {}

  const std::string& where() const { return where_; }

  Status Error(const ConfigNode& n, const std::string& what) const {
    return Corrupt("line " + std::to_string(n.line) + ": " + where_ + ": " + what);
  }
  Status Missing(std::string_view key) const {
    return Error(section_, "no '" + std::string(key) + "'");
  }

  // The value node for `key`, or nullptr when absent. A key given twice or
  // given as a section is an error.
  Status Take(std::string_view key, const ConfigNode** out) {
    *out = nullptr;
    for (size_t k = 0; k < section_.children.size(); ++k) {
      const ConfigNode& c = section_.children[k];
      if (used_[k] || c.key != key) continue;
      if (*out) return Error(c, "'" + c.key + "' appears twice");
      if (c.is_section) return Error(c, "'" + c.key + "' must be a value, not a section");
      used_[k] = true;
      *out = &c;
    }
    return Status::Ok();
  }

  Status Int(std::string_view key, int64_t* out, bool required) {
    const ConfigNode* n;
    return TakeInt(key, out, required, &n);
  }

  Status Uint(std::string_view key, uint64_t* out, bool required) {
    const ConfigNode* n;
    int64_t v = 0;
    LVLAB_RETURN_IF_ERROR(TakeInt(key, &v, required, &n));
    if (!n) return Status::Ok();
    if (v < 0) return Error(*n, "'" + n->key + "' must not be negative");
    *out = static_cast<uint64_t>(v);
    return Status::Ok();
  }

  Status Str(std::string_view key, std::string* out, bool required) {
    const ConfigNode* n;
    LVLAB_RETURN_IF_ERROR(Take(key, &n));
    if (!n) return required ? Missing(key) : Status::Ok();
    if (n->value.kind != ConfigValue::Kind::kString)
      return Error(*n, "'" + n->key + "' must be a string");
    *out = n->value.s;
    return Status::Ok();
  }

  Status StrList(std::string_view key, std::vector<std::string>* out, bool required) {
    const ConfigNode* n;
    LVLAB_RETURN_IF_ERROR(Take(key, &n));
    if (!n) return required ? Missing(key) : Status::Ok();
    if (n->value.kind != ConfigValue::Kind::kArray)
      return Error(*n, "'" + n->key + "' must be an array");
    out->clear();
    for (const ConfigValue& v : n->value.array) {
      if (v.kind != ConfigValue::Kind::kString)
        return Error(*n, "'" + n->key + "' must hold strings");
      out->push_back(v.s);
    }
    return Status::Ok();
  }

  // Subsections not yet taken, marking them taken.
  std::vector<const ConfigNode*> TakeSections() {
    std::vector<const ConfigNode*> out;
    for (size_t k = 0; k < section_.children.size(); ++k) {
      if (!used_[k] && section_.children[k].is_section) {
        used_[k] = true;
        out.push_back(&section_.children[k]);
      }
    }
    return out;
  }

  Status Section(std::string_view key, const ConfigNode** out, bool required) {
    *out = nullptr;
    for (size_t k = 0; k < section_.children.size(); ++k) {
      const ConfigNode& c = section_.children[k];
      if (c.key != key) continue;
      if (!c.is_section) return Error(c, "'" + c.key + "' must be a section");
      if (*out) return Error(c, "'" + c.key + "' appears twice");
      used_[k] = true;
      *out = &c;
    }
    return (!*out && required) ? Missing(key) : Status::Ok();
  }

  // Everything not taken, in order.
  std::vector<ConfigNode> Rest() const {
    std::vector<ConfigNode> out;
    for (size_t k = 0; k < section_.children.size(); ++k) {
      if (!used_[k]) out.push_back(section_.children[k]);
    }
    return out;
  }

 private:
  Status TakeInt(std::string_view key, int64_t* out, bool required, const ConfigNode** n) {
    LVLAB_RETURN_IF_ERROR(Take(key, n));
    if (!*n) return required ? Missing(key) : Status::Ok();
    if ((*n)->value.kind != ConfigValue::Kind::kInt) {
      return Error(**n, "'" + (*n)->key + "' must be an integer");
    }
    *out = (*n)->value.i;
    return Status::Ok();
  }

  const ConfigNode& section_;
  std::string where_;
  std::vector<bool> used_;
};

struct ReadContext {
  std::set<std::string> pv_keys;
  std::optional<int> lv_offset;  // from the first LV time comment
};

// A "stripes"/"mirrors" list: `count` pairs of name and extent.
Status ReadAreas(Fields& f, std::string_view key, uint64_t count, const std::set<std::string>& pvs,
                 std::vector<Area>* out) {
  const ConfigNode* n;
  LVLAB_RETURN_IF_ERROR(f.Take(key, &n));
  if (!n) return f.Missing(key);
  const auto& a = n->value.array;
  if (n->value.kind != ConfigValue::Kind::kArray || a.size() % 2 != 0) {
    return f.Error(*n, "'" + n->key + "' must be an array of name, extent pairs");
  }
  if (a.size() / 2 != count) {
    return f.Error(*n, "'" + n->key + "' lists " + std::to_string(a.size() / 2) +
                           " areas but the count says " + std::to_string(count));
  }
  for (size_t k = 0; k < a.size(); k += 2) {
    if (a[k].kind != ConfigValue::Kind::kString || a[k + 1].kind != ConfigValue::Kind::kInt ||
        a[k + 1].i < 0) {
      return f.Error(*n, "'" + n->key + "' entry " + std::to_string(k / 2 + 1) +
                             " is not a name and a non-negative extent");
    }
    Area area;
    area.kind = pvs.count(a[k].s) ? Area::Kind::kPv : Area::Kind::kLv;
    area.name = a[k].s;
    area.start = static_cast<uint64_t>(a[k + 1].i);
    out->push_back(std::move(area));
  }
  return Status::Ok();
}

Status ReadSegment(const ConfigNode& sn, const std::string& where, const ReadContext& ctx,
                   Segment* seg) {
  Fields f(sn, where);
  LVLAB_RETURN_IF_ERROR(f.Uint("start_extent", &seg->start_extent, true));
  LVLAB_RETURN_IF_ERROR(f.Uint("extent_count", &seg->extent_count, true));
  LVLAB_RETURN_IF_ERROR(f.Str("type", &seg->type, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("tags", &seg->tags, false));
  if (seg->type == "striped") {
    uint64_t stripes = 0;
    LVLAB_RETURN_IF_ERROR(f.Uint("stripe_count", &stripes, true));
    if (stripes == 0) return f.Error(sn, "stripe_count is 0");
    LVLAB_RETURN_IF_ERROR(f.Uint("stripe_size", &seg->stripe_size, stripes > 1));
    LVLAB_RETURN_IF_ERROR(ReadAreas(f, "stripes", stripes, ctx.pv_keys, &seg->areas));
  } else if (seg->type == "mirror") {
    uint64_t mirrors = 0, moved = 0;
    LVLAB_RETURN_IF_ERROR(f.Uint("mirror_count", &mirrors, true));
    if (mirrors == 0) return f.Error(sn, "mirror_count is 0");
    if (sn.Find("extents_moved")) {
      LVLAB_RETURN_IF_ERROR(f.Uint("extents_moved", &moved, true));
      seg->extents_moved = moved;
    }
    LVLAB_RETURN_IF_ERROR(f.Str("mirror_log", &seg->mirror_log, false));
    LVLAB_RETURN_IF_ERROR(f.Uint("region_size", &seg->region_size, false));
    LVLAB_RETURN_IF_ERROR(ReadAreas(f, "mirrors", mirrors, ctx.pv_keys, &seg->areas));
  } else if (seg->type == "raid1") {
    uint64_t devices = 0;
    LVLAB_RETURN_IF_ERROR(f.Uint("device_count", &devices, true));
    LVLAB_RETURN_IF_ERROR(f.Uint("region_size", &seg->region_size, false));
    std::vector<std::string> raids;
    LVLAB_RETURN_IF_ERROR(f.StrList("raids", &raids, true));
    if (devices == 0 || raids.size() != 2 * devices) {
      return f.Error(sn, "'raids' lists " + std::to_string(raids.size()) +
                             " sub-LVs but device_count says " + std::to_string(devices) +
                             " meta/image pairs");
    }
    for (const std::string& r : raids) seg->areas.push_back({Area::Kind::kLv, r, 0});
  } else if (seg->type == "snapshot") {
    LVLAB_RETURN_IF_ERROR(f.Uint("chunk_size", &seg->chunk_size, true));
    LVLAB_RETURN_IF_ERROR(f.Str("origin", &seg->origin, true));
    std::string merging_store;
    LVLAB_RETURN_IF_ERROR(f.Str("cow_store", &seg->cow_store, false));
    LVLAB_RETURN_IF_ERROR(f.Str("merging_store", &merging_store, false));
    if (!merging_store.empty() && !seg->cow_store.empty()) {
      return f.Error(sn, "both cow_store and merging_store are given");
    }
    if (merging_store.empty() && seg->cow_store.empty()) return f.Missing("cow_store");
    if (!merging_store.empty()) {
      seg->cow_store = merging_store;
      seg->merging = true;
    }
  }
  seg->extra = f.Rest();
  return Status::Ok();
}

Status ReadLv(const ConfigNode& ln, const std::string& vg, ReadContext* ctx, LogicalVolume* lv) {
  lv->name = ln.key;
  Fields f(ln, vg + "/" + ln.key);
  if (!ln.is_section) return f.Error(ln, "an LV must be a section");
  LVLAB_RETURN_IF_ERROR(f.Str("id", &lv->id, true));
  LVLAB_RETURN_IF_ERROR(f.StrList("status", &lv->status, true));
  LVLAB_RETURN_IF_ERROR(f.StrList("flags", &lv->flags, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("tags", &lv->tags, false));
  const ConfigNode* time_node = ln.Find("creation_time");
  LVLAB_RETURN_IF_ERROR(f.Int("creation_time", &lv->creation_time, false));
  if (time_node && !ctx->lv_offset) ctx->lv_offset = OffsetFromLvTime(time_node->comment);
  LVLAB_RETURN_IF_ERROR(f.Str("creation_host", &lv->creation_host, false));
  LVLAB_RETURN_IF_ERROR(f.Str("allocation_policy", &lv->allocation_policy, false));
  int64_t count = 0;
  LVLAB_RETURN_IF_ERROR(f.Int("segment_count", &count, true));
  // As in LVM's import, every subsection of an LV is a segment.
  const std::vector<const ConfigNode*> segs = f.TakeSections();
  if (count != static_cast<int64_t>(segs.size())) {
    return f.Error(ln, "segment_count is " + std::to_string(count) + " but " +
                           std::to_string(segs.size()) + " segments follow");
  }
  for (const ConfigNode* sn : segs) {
    Segment seg;
    LVLAB_RETURN_IF_ERROR(ReadSegment(*sn, f.where() + " " + sn->key, *ctx, &seg));
    lv->segments.push_back(std::move(seg));
  }
  lv->extra = f.Rest();
  return Status::Ok();
}

Status ReadPv(const ConfigNode& pn, const std::string& vg, PhysicalVolume* pv) {
  pv->key = pn.key;
  Fields f(pn, vg + "/" + pn.key);
  if (!pn.is_section) return f.Error(pn, "a PV must be a section");
  LVLAB_RETURN_IF_ERROR(f.Str("id", &pv->id, true));
  LVLAB_RETURN_IF_ERROR(f.Str("device", &pv->device, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("status", &pv->status, true));
  LVLAB_RETURN_IF_ERROR(f.StrList("flags", &pv->flags, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("tags", &pv->tags, false));
  LVLAB_RETURN_IF_ERROR(f.Uint("dev_size", &pv->dev_size, false));
  LVLAB_RETURN_IF_ERROR(f.Uint("pe_start", &pv->pe_start, true));
  LVLAB_RETURN_IF_ERROR(f.Uint("pe_count", &pv->pe_count, true));
  pv->extra = f.Rest();
  return Status::Ok();
}

Status ReadVg(const ConfigNode& vn, ReadContext* ctx, VolumeGroup* vg) {
  vg->name = vn.key;
  Fields f(vn, vn.key);
  LVLAB_RETURN_IF_ERROR(f.Str("id", &vg->id, true));
  LVLAB_RETURN_IF_ERROR(f.Uint("seqno", &vg->seqno, true));
  vg->format.clear();
  LVLAB_RETURN_IF_ERROR(f.Str("format", &vg->format, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("status", &vg->status, true));
  LVLAB_RETURN_IF_ERROR(f.StrList("flags", &vg->flags, false));
  LVLAB_RETURN_IF_ERROR(f.StrList("tags", &vg->tags, false));
  LVLAB_RETURN_IF_ERROR(f.Uint("extent_size", &vg->extent_size, true));
  LVLAB_RETURN_IF_ERROR(f.Uint("max_lv", &vg->max_lv, false));
  LVLAB_RETURN_IF_ERROR(f.Uint("max_pv", &vg->max_pv, false));
  LVLAB_RETURN_IF_ERROR(f.Str("allocation_policy", &vg->allocation_policy, false));
  LVLAB_RETURN_IF_ERROR(f.Uint("metadata_copies", &vg->metadata_copies, false));
  const ConfigNode *pvs, *lvs;
  LVLAB_RETURN_IF_ERROR(f.Section("physical_volumes", &pvs, true));
  LVLAB_RETURN_IF_ERROR(f.Section("logical_volumes", &lvs, false));
  for (const ConfigNode& pn : pvs->children) {
    PhysicalVolume pv;
    LVLAB_RETURN_IF_ERROR(ReadPv(pn, vg->name, &pv));
    ctx->pv_keys.insert(pv.key);
    vg->pvs.push_back(std::move(pv));
  }
  if (lvs) {
    for (const ConfigNode& ln : lvs->children) {
      LogicalVolume lv;
      LVLAB_RETURN_IF_ERROR(ReadLv(ln, vg->name, ctx, &lv));
      vg->lvs.push_back(std::move(lv));
    }
  }
  vg->extra = f.Rest();
  return Status::Ok();
}

// "# Generated by <generator>: <ctime>" anywhere at the start of a line.
std::optional<std::string> FindGenerator(std::string_view text) {
  constexpr std::string_view kTag = "# Generated by ";
  size_t at = 0;
  while (at < text.size()) {
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(at, eol - at);
    if (line.substr(0, kTag.size()) == kTag) {
      line.remove_prefix(kTag.size());
      const size_t colon = line.rfind(": ");
      return std::string(colon == std::string_view::npos ? line : line.substr(0, colon));
    }
    at = eol + 1;
  }
  return std::nullopt;
}

// -------------------------------------------------------------- writing --

// Lines of the file form (tab-indented, comments lined up as export.c does)
// or of the raw form (neither).
class Writer {
 public:
  explicit Writer(bool file) : file_(file) {}

  // One line: its pieces appended in place (the writer runs on every
  // vg_write, over tens of thousands of lines).
  void Line(std::initializer_list<std::string_view> parts, std::string_view comment = {}) {
    const int indent = file_ ? std::min(indent_, 5) : 0;
    out_.append(static_cast<size_t>(indent), '\t');
    size_t size = 0;
    for (std::string_view p : parts) {
      out_ += p;
      size += p.size();
    }
    if (file_ && !comment.empty()) {
      // As export.c lines comments up: at column 40 (8-column tabs) when the
      // text leaves room, else after one tab.
      const int column = static_cast<int>(size) + 8 * indent;
      out_.append(static_cast<size_t>(std::max(1, 5 - column / 8)), '\t');
      out_ += comment;
    }
    out_ += '\n';
  }
  void Line(std::string_view text, std::string_view comment = {}) { Line({text}, comment); }
  void Blank() { out_ += '\n'; }
  void Open(std::string_view name) {
    Line({FormatConfigKey(name), " {"});
    ++indent_;
  }
  void Close() {
    --indent_;
    Line("}");
  }
  void Str(const char* key, const std::string& v) { Line({key, " = ", QuoteConfigString(v)}); }
  void Num(const char* key, uint64_t v, std::string_view comment = {}) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    Line({key, " = ", std::string_view(buf, static_cast<size_t>(r.ptr - buf))}, comment);
  }
  void List(const char* key, const std::vector<std::string>& v) {
    std::string s = std::string(key) + " = [";
    for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + QuoteConfigString(v[k]);
    Line(s + "]");
  }
  void Node(const ConfigNode& n) {
    if (n.is_section) {
      Open(n.key);
      for (const ConfigNode& c : n.children) Node(c);
      Close();
      return;
    }
    Line(FormatConfigKey(n.key) + " = " + FormatConfigValue(n.value),
         n.comment.empty() ? "" : "# " + n.comment);
  }
  void Areas(const char* key, const std::vector<Area>& areas) {
    Blank();
    Line({key, " = ["});
    ++indent_;
    for (size_t k = 0; k < areas.size(); ++k) {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, areas[k].start);
      Line({QuoteConfigString(areas[k].name), ", ",
            std::string_view(buf, static_cast<size_t>(r.ptr - buf)),
            k + 1 < areas.size() ? "," : ""});
    }
    --indent_;
    Line("]");
  }

  // raids = [ "lv_rmeta_0", "lv_rimage_0", ... ]: names only, a pair a line.
  void RaidPairs(const std::vector<Area>& areas) {
    Blank();
    Line("raids = [");
    ++indent_;
    for (size_t k = 0; k + 1 < areas.size(); k += 2) {
      Line(QuoteConfigString(areas[k].name) + ", " + QuoteConfigString(areas[k + 1].name) +
           (k + 2 < areas.size() ? "," : ""));
    }
    --indent_;
    Line("]");
  }

  std::string& out() { return out_; }

 private:
  bool file_;
  int indent_ = 0;
  std::string out_;
};

std::string Size(uint64_t sectors) { return "# " + SectorsComment(sectors); }

void WriteSegment(Writer& w, const VolumeGroup& vg, size_t number, const Segment& seg) {
  w.Open("segment" + std::to_string(number));
  w.Num("start_extent", seg.start_extent);
  w.Num("extent_count", seg.extent_count, Size(seg.extent_count * vg.extent_size));
  w.Blank();
  w.Str("type", seg.type);
  if (!seg.tags.empty()) w.List("tags", seg.tags);
  if (seg.type == "striped") {
    w.Num("stripe_count", seg.areas.size(), seg.areas.size() == 1 ? "# linear" : "");
    if (seg.areas.size() > 1 || seg.stripe_size)
      w.Num("stripe_size", seg.stripe_size, Size(seg.stripe_size));
  } else if (seg.type == "mirror") {
    w.Num("mirror_count", seg.areas.size());
    if (seg.extents_moved) {
      w.Num("extents_moved", *seg.extents_moved, Size(*seg.extents_moved * vg.extent_size));
    }
    if (!seg.mirror_log.empty()) w.Str("mirror_log", seg.mirror_log);
    if (seg.region_size) w.Num("region_size", seg.region_size);
  } else if (seg.type == "raid1") {
    w.Num("device_count", seg.areas.size() / 2);
    if (seg.region_size) w.Num("region_size", seg.region_size);
  } else if (seg.type == "snapshot") {
    w.Num("chunk_size", seg.chunk_size);
    w.Str("origin", seg.origin);
    w.Str(seg.merging ? "merging_store" : "cow_store", seg.cow_store);
    LVLAB_CHECK(seg.areas.empty()) << "a snapshot segment has no areas";
  } else {
    LVLAB_CHECK(seg.areas.empty()) << "areas of a " << seg.type << " segment are not modelled";
  }
  for (const ConfigNode& n : seg.extra) w.Node(n);
  if (seg.type == "striped") w.Areas("stripes", seg.areas);
  if (seg.type == "mirror") w.Areas("mirrors", seg.areas);
  if (seg.type == "raid1") w.RaidPairs(seg.areas);
  w.Close();
}

void WriteLv(Writer& w, const VolumeGroup& vg, const LogicalVolume& lv, int offset) {
  w.Blank();
  w.Open(lv.name);
  w.Str("id", lv.id);
  w.List("status", lv.status);
  w.List("flags", lv.flags);
  if (!lv.tags.empty()) w.List("tags", lv.tags);
  if (lv.creation_time) {
    const std::string when = LvTime(lv.creation_time, offset);
    w.Line("creation_time = " + std::to_string(lv.creation_time), when.empty() ? "" : "# " + when);
  }
  if (!lv.creation_host.empty()) w.Str("creation_host", lv.creation_host);
  if (!lv.allocation_policy.empty()) w.Str("allocation_policy", lv.allocation_policy);
  for (const ConfigNode& n : lv.extra) w.Node(n);
  w.Num("segment_count", lv.segments.size());
  w.Blank();
  for (size_t k = 0; k < lv.segments.size(); ++k) WriteSegment(w, vg, k + 1, lv.segments[k]);
  w.Close();
}

void WritePv(Writer& w, const VolumeGroup& vg, const PhysicalVolume& pv) {
  w.Blank();
  w.Open(pv.key);
  w.Str("id", pv.id);
  if (!pv.device.empty()) w.Line("device = " + QuoteConfigString(pv.device), "# Hint only");
  w.Blank();
  w.List("status", pv.status);
  w.List("flags", pv.flags);
  if (!pv.tags.empty()) w.List("tags", pv.tags);
  w.Num("dev_size", pv.dev_size, Size(pv.dev_size));
  w.Num("pe_start", pv.pe_start);
  w.Num("pe_count", pv.pe_count, Size(pv.pe_count * vg.extent_size));
  for (const ConfigNode& n : pv.extra) w.Node(n);
  w.Close();
}

void WriteVgBlock(Writer& w, const VolumeGroup& vg, int offset) {
  w.Open(vg.name);
  w.Str("id", vg.id);
  w.Num("seqno", vg.seqno);
  if (!vg.format.empty()) w.Line("format = " + QuoteConfigString(vg.format), "# informational");
  w.List("status", vg.status);
  w.List("flags", vg.flags);
  if (!vg.tags.empty()) w.List("tags", vg.tags);
  w.Num("extent_size", vg.extent_size, Size(vg.extent_size));
  w.Num("max_lv", vg.max_lv);
  w.Num("max_pv", vg.max_pv);
  if (!vg.allocation_policy.empty()) {
    w.Blank();
    w.Str("allocation_policy", vg.allocation_policy);
  }
  w.Num("metadata_copies", vg.metadata_copies);
  size_t split = 0;
  while (split < vg.extra.size() && !vg.extra[split].is_section) w.Node(vg.extra[split++]);
  w.Blank();
  w.Open("physical_volumes");
  for (const PhysicalVolume& pv : vg.pvs) WritePv(w, vg, pv);
  w.Close();
  w.Blank();
  if (!vg.lvs.empty()) {
    w.Open("logical_volumes");
    for (const LogicalVolume& lv : vg.lvs) {
      if (lv.visible()) WriteLv(w, vg, lv, offset);
    }
    for (const LogicalVolume& lv : vg.lvs) {
      if (!lv.visible()) WriteLv(w, vg, lv, offset);
    }
    w.Close();
  }
  w.Blank();  // export.c writes it before the (usually absent) historical LVs
  for (; split < vg.extra.size(); ++split) w.Node(vg.extra[split]);
  w.Close();
}

// _print_header. ctime(3)'s own newline makes the blank lines after the
// first and last lines.
void WriteHeader(std::string& out, const TextHeader& h, int offset) {
  const std::string when = Ctime(h.creation_time, offset);
  out += "# Generated by " + h.generator + ": " + when + "\n\n";
  out += "contents = " + QuoteConfigString(kContents) + "\n";
  out += "version = 1\n\n";
  out += "description = " + QuoteConfigString(h.description) + "\n\n";
  out += "creation_host = " + QuoteConfigString(h.creation_host);
  if (!h.creation_uname.empty()) out += "\t# " + h.creation_uname;
  out += "\ncreation_time = " + std::to_string(h.creation_time) + "\t# " + when + "\n\n";
}

}  // namespace

Result<ParsedVg> ParseVgText(std::string_view text) {
  LVLAB_ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, ParseConfig(text));
  ParsedVg out;
  const ConfigNode* vg_node = nullptr;
  const ConfigNode *contents = nullptr, *version = nullptr, *time_node = nullptr;
  for (const ConfigNode& n : nodes) {
    if (n.is_section) {
      if (vg_node) {
        return Corrupt("line " + std::to_string(n.line) + ": second VG section '" + n.key +
                       "' after '" + vg_node->key + "'; metadata text holds one VG");
      }
      vg_node = &n;
    } else if (n.key == "contents") {
      contents = &n;
    } else if (n.key == "version") {
      version = &n;
    } else if (n.key == "description" && n.value.kind == ConfigValue::Kind::kString) {
      out.header.description = n.value.s;
    } else if (n.key == "creation_host" && n.value.kind == ConfigValue::Kind::kString) {
      out.header.creation_host = n.value.s;
      out.header.creation_uname = n.comment;
    } else if (n.key == "creation_time" && n.value.kind == ConfigValue::Kind::kInt) {
      out.header.creation_time = n.value.i;
      time_node = &n;
    }
  }
  if (!contents || contents->value.kind != ConfigValue::Kind::kString ||
      contents->value.s != kContents) {
    return Corrupt(contents
                       ? "line " + std::to_string(contents->line) + ": unrecognised contents field"
                       : "no 'contents' field; this is not LVM2 text metadata");
  }
  if (!version || version->value.kind != ConfigValue::Kind::kInt || version->value.i != 1) {
    return Corrupt(version
                       ? "line " + std::to_string(version->line) + ": unsupported version (not 1)"
                       : "no 'version' field; this is not LVM2 text metadata");
  }
  if (!vg_node) return Corrupt("no volume group section in metadata text");
  if (auto g = FindGenerator(text)) out.header.generator = *g;
  ReadContext ctx;
  LVLAB_RETURN_IF_ERROR(ReadVg(*vg_node, &ctx, &out.vg));
  std::optional<int> offset;
  if (time_node) offset = OffsetFromCtime(time_node->comment, out.header.creation_time);
  if (!offset) offset = ctx.lv_offset;
  out.utc_offset_seconds = offset.value_or(0);
  return out;
}

std::string FormatVgFile(const VolumeGroup& vg, const TextHeader& header, int utc_offset_seconds) {
  Writer w(/*file=*/true);
  WriteHeader(w.out(), header, utc_offset_seconds);
  WriteVgBlock(w, vg, utc_offset_seconds);
  return std::move(w.out());
}

std::string FormatVgRaw(const VolumeGroup& vg, const TextHeader& header, int utc_offset_seconds) {
  Writer w(/*file=*/false);
  WriteVgBlock(w, vg, utc_offset_seconds);
  WriteHeader(w.out(), header, utc_offset_seconds);
  return std::move(w.out());
}

void PutVisibleLvsFirst(VolumeGroup* vg) {
  std::stable_partition(vg->lvs.begin(), vg->lvs.end(),
                        [](const LogicalVolume& lv) { return lv.visible(); });
}

}  // namespace lvlab::lvm

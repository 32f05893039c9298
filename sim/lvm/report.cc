// Report(): field selection, rows and layout (tools/reporter.c and
// libdm/libdm-report.c in LVM2). The fields themselves are in
// report_fields.cc and report_lv.cc.

#include "sim/lvm/report.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>
#include <string_view>
#include <utility>

#include "sim/lvm/report_fields.h"

namespace lvlab::lvm {
namespace report_internal {
namespace {

// lvm.conf's report/*_cols defaults.
const char* DefaultFields(ReportKind kind, bool segments) {
  switch (kind) {
    case ReportKind::kLvs:
      return segments ? "lv_name,vg_name,lv_attr,stripes,segtype,seg_size"
                      : "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,"
                        "metadata_percent,move_pv,mirror_log,copy_percent,convert_lv";
    case ReportKind::kVgs:
      return "vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free";
    case ReportKind::kPvs:
      return segments ? "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free,pvseg_start,pvseg_size"
                      : "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free";
  }
  return "";
}

// The report's name: its JSON key and its field prefix without the '_'.
const char* ReportName(ReportKind kind, bool segments) {
  switch (kind) {
    case ReportKind::kLvs:
      return segments ? "seg" : "lv";
    case ReportKind::kVgs:
      return "vg";
    case ReportKind::kPvs:
      return segments ? "pvseg" : "pv";
  }
  return "";
}

// libdm's canonical field name: no underscores, compared case-insensitively.
std::string Canonical(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

// A field by id, or by the id without the report's prefix ("size" in lvs).
const FieldDef* FindField(std::string_view name, std::string_view prefix) {
  const std::string c = Canonical(name);
  if (c.empty()) return nullptr;
  for (const FieldDef& f : AllFields()) {
    const std::string fc = Canonical(f.id);
    if (fc == c || (fc.starts_with(prefix) && fc.substr(prefix.size()) == c)) return &f;
  }
  return nullptr;
}

// Optimal string alignment distance: edits with adjacent transpositions.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool Offered(ReportKind kind, Obj obj) {
  if (kind != ReportKind::kLvs) return true;
  return obj != Obj::kPv && obj != Obj::kPvSeg;
}

Status UnknownField(std::string_view name, ReportKind kind, std::string_view prefix) {
  const std::string c = Canonical(name);
  std::vector<std::pair<size_t, std::string>> close;
  std::vector<std::string> valid;
  for (const FieldDef& f : AllFields()) {
    if (!Offered(kind, f.obj)) continue;
    valid.push_back(f.id);
    const std::string fc = Canonical(f.id);
    size_t d = EditDistance(c, fc);
    if (fc.starts_with(prefix)) d = std::min(d, EditDistance(c, fc.substr(prefix.size())));
    if (c.size() >= 4 && fc.find(c) != std::string::npos) d = std::min<size_t>(d, 2);
    if (d <= 2 && d < c.size()) close.emplace_back(d, f.id);
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::string msg = "Unrecognised field: " + std::string(name) + ".";
  if (!close.empty()) {
    std::vector<std::string> names;
    for (size_t i = 0; i < close.size() && i < 4; ++i) names.push_back(close[i].second);
    return InvalidArgument(msg + " Did you mean " + Join(names, ", ") + "?");
  }
  return InvalidArgument(msg + " Valid fields: " + Join(valid, ", ") + ".");
}

Result<std::vector<const FieldDef*>> ParseList(std::string_view list, ReportKind kind,
                                               std::string_view prefix) {
  std::vector<const FieldDef*> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view word = list.substr(pos, comma - pos);
    pos = comma + 1;
    if (word.empty()) continue;
    const FieldDef* f = FindField(word, prefix);
    if (f == nullptr) return UnknownField(word, kind, prefix);
    out.push_back(f);
  }
  return out;
}

Result<std::vector<const FieldDef*>> ResolveFields(ReportKind kind, const ReportOptions& opts) {
  const std::string prefix = ReportName(kind, opts.segments);
  LVLAB_ASSIGN_OR_RETURN(std::vector<const FieldDef*> fields,
                         ParseList(DefaultFields(kind, opts.segments), kind, prefix));
  for (const std::string& entry : opts.fields) {
    std::string_view body = entry;
    const char mode = (!body.empty() && (body[0] == '+' || body[0] == '-')) ? body[0] : '=';
    if (mode != '=') body.remove_prefix(1);
    LVLAB_ASSIGN_OR_RETURN(std::vector<const FieldDef*> parsed, ParseList(body, kind, prefix));
    if (mode == '+') {
      fields.insert(fields.end(), parsed.begin(), parsed.end());
    } else if (mode == '-') {
      std::erase_if(fields, [&](const FieldDef* f) {
        return std::find(parsed.begin(), parsed.end(), f) != parsed.end();
      });
    } else {
      fields = std::move(parsed);
    }
  }
  if (fields.empty()) return InvalidArgument("No fields to report; give -o FIELD[,FIELD...]");
  return fields;
}

// LVM changes the report type to the most detailed object the fields need.
Result<Obj> RowType(ReportKind kind, bool segments, const std::vector<const FieldDef*>& fields) {
  std::set<Obj> objs;
  if (kind == ReportKind::kLvs) objs.insert(segments ? Obj::kSeg : Obj::kLv);
  if (kind == ReportKind::kPvs) objs.insert(segments ? Obj::kPvSeg : Obj::kPv);
  for (const FieldDef* f : fields) objs.insert(f->obj);
  const bool lv = objs.contains(Obj::kLv) || objs.contains(Obj::kSeg);
  const bool pv = objs.contains(Obj::kPv) || objs.contains(Obj::kPvSeg);
  if (lv && pv) {
    if (kind == ReportKind::kPvs) return Obj::kPvSeg;
    return InvalidArgument(std::string("Can't report LV and PV fields at the same time in report "
                                       "type \"") +
                           ReportName(kind, segments) + "\".");
  }
  for (Obj o : {Obj::kPvSeg, Obj::kPv, Obj::kSeg, Obj::kLv}) {
    if (objs.contains(o)) return o;
  }
  return Obj::kVg;
}

struct Selection {
  bool everything = true;
  std::set<std::string> vgs;                          // whole VGs
  std::set<std::pair<std::string, std::string>> lvs;  // single LVs
  std::set<std::string> pvs;
};

const VolumeGroup* FindVg(const ReportInput& in, std::string_view name) {
  for (const VolumeGroup* vg : in.vgs) {
    if (vg->name == name) return vg;
  }
  return nullptr;
}

Result<Selection> Select(ReportKind kind, const ReportInput& in, const ReportOptions& opts) {
  Selection sel;
  sel.everything = opts.select_names.empty();
  for (const std::string& name : opts.select_names) {
    if (kind == ReportKind::kPvs) {
      const bool found = std::any_of(in.pvs.begin(), in.pvs.end(),
                                     [&](const ReportPv& p) { return p.name == name; });
      if (!found) return NotFound("Failed to find physical volume \"" + name + "\".");
      sel.pvs.insert(name);
      continue;
    }
    const size_t slash = name.find('/');
    const std::string vg_name = name.substr(0, slash);
    const VolumeGroup* vg = FindVg(in, vg_name);
    if (vg == nullptr) return NotFound("Volume group \"" + vg_name + "\" not found");
    if (kind == ReportKind::kVgs || slash == std::string::npos) {
      sel.vgs.insert(vg_name);
      continue;
    }
    const std::string lv_name = name.substr(slash + 1);
    if (vg->FindLv(lv_name) == nullptr) {
      return NotFound("Failed to find logical volume \"" + vg_name + "/" + lv_name + "\"");
    }
    sel.lvs.emplace(vg_name, lv_name);
  }
  return sel;
}

class RowBuilder {
 public:
  RowBuilder(ReportKind kind, const ReportInput& in, const ReportOptions& opts,
             const Selection& sel)
      : kind_(kind), in_(in), opts_(opts), sel_(sel) {}

  std::vector<Row> Build(Obj type) {
    std::vector<Row> rows;
    if (type == Obj::kVg) {
      for (const VolumeGroup* vg : SortedVgs()) {
        Row row;
        row.vg = vg;
        rows.push_back(row);
      }
    } else if (type == Obj::kLv || type == Obj::kSeg) {
      for (const VolumeGroup* vg : SortedVgs()) AddLvRows(*vg, type == Obj::kSeg, rows);
    } else {
      for (const ReportPv* pv : SortedPvs()) AddPvRows(*pv, type == Obj::kPvSeg, rows);
    }
    return rows;
  }

 private:
  bool VgSelected(const std::string& name) const {
    if (sel_.everything || sel_.vgs.contains(name)) return true;
    return std::any_of(sel_.lvs.begin(), sel_.lvs.end(),
                       [&](const auto& p) { return p.first == name; });
  }

  std::vector<const VolumeGroup*> SortedVgs() const {
    std::vector<const VolumeGroup*> vgs;
    for (const VolumeGroup* vg : in_.vgs) {
      if (VgSelected(vg->name)) vgs.push_back(vg);
    }
    std::stable_sort(vgs.begin(), vgs.end(),
                     [](const VolumeGroup* a, const VolumeGroup* b) { return a->name < b->name; });
    return vgs;
  }

  std::vector<const ReportPv*> SortedPvs() const {
    std::vector<const ReportPv*> pvs;
    for (const ReportPv& pv : in_.pvs) {
      const bool take = kind_ == ReportKind::kPvs ? (sel_.everything || sel_.pvs.contains(pv.name))
                                                  : (!pv.vg_name.empty() && VgSelected(pv.vg_name));
      if (take) pvs.push_back(&pv);
    }
    std::stable_sort(pvs.begin(), pvs.end(),
                     [](const ReportPv* a, const ReportPv* b) { return a->name < b->name; });
    return pvs;
  }

  bool LvSelected(const VolumeGroup& vg, const LogicalVolume& lv) const {
    if (ClassifyLv(vg, lv).snapshot_internal) return false;
    if (sel_.lvs.contains({vg.name, lv.name})) return true;
    if (!sel_.everything && !sel_.vgs.contains(vg.name)) return false;
    return LvVisible(vg, lv) || opts_.all;
  }

  void AddLvRows(const VolumeGroup& vg, bool per_segment, std::vector<Row>& rows) const {
    std::vector<const LogicalVolume*> lvs;
    for (const LogicalVolume& lv : vg.lvs) {
      if (LvSelected(vg, lv)) lvs.push_back(&lv);
    }
    std::stable_sort(lvs.begin(), lvs.end(), [](const LogicalVolume* a, const LogicalVolume* b) {
      return a->name < b->name;
    });
    for (const LogicalVolume* lv : lvs) {
      Row row;
      row.vg = &vg;
      row.lv = lv;
      row.state = State(vg, *lv);
      if (!per_segment) {
        rows.push_back(row);
        continue;
      }
      std::vector<const Segment*> segs;
      for (const Segment& seg : lv->segments) segs.push_back(&seg);
      std::stable_sort(segs.begin(), segs.end(), [](const Segment* a, const Segment* b) {
        return a->start_extent < b->start_extent;
      });
      for (const Segment* seg : segs) {
        row.seg = seg;
        rows.push_back(row);
      }
    }
  }

  void AddPvRows(const ReportPv& pv, bool per_pvseg, std::vector<Row>& rows) {
    const VolumeGroup* vg = pv.vg_name.empty() ? nullptr : FindVg(in_, pv.vg_name);
    Row row;
    row.vg = vg;
    row.pv = &pv;
    if (!per_pvseg) {
      rows.push_back(row);
      return;
    }
    for (const PvSeg& ps : PvSegs(vg, pv)) {
      pvsegs_.push_back(ps);
      row.pvseg = &pvsegs_.back();
      row.lv = ps.lv;
      row.seg = ps.seg;
      row.state = ps.lv != nullptr ? State(*vg, *ps.lv) : ReportLvState{};
      rows.push_back(row);
    }
  }

  // The PV's extents in runs: one per LV segment area, free gaps merged.
  static std::vector<PvSeg> PvSegs(const VolumeGroup* vg, const ReportPv& pv) {
    if (vg == nullptr || pv.meta == nullptr) return {PvSeg{}};
    std::vector<PvSeg> used;
    for (const LogicalVolume& lv : vg->lvs) {
      for (const Segment& seg : lv.segments) {
        for (const Area& a : seg.areas) {
          if (a.kind == Area::Kind::kPv && a.name == pv.meta->key) {
            used.push_back(
                PvSeg{.start = a.start, .len = seg.AreaLength(), .lv = &lv, .seg = &seg});
          }
        }
      }
    }
    std::stable_sort(used.begin(), used.end(),
                     [](const PvSeg& a, const PvSeg& b) { return a.start < b.start; });
    std::vector<PvSeg> out;
    uint64_t pos = 0;
    for (const PvSeg& u : used) {
      if (u.start > pos) out.push_back(PvSeg{.start = pos, .len = u.start - pos});
      out.push_back(u);
      pos = std::max(pos, u.start + u.len);
    }
    if (pos < pv.meta->pe_count || out.empty()) {
      out.push_back(
          PvSeg{.start = pos, .len = pv.meta->pe_count > pos ? pv.meta->pe_count - pos : 0});
    }
    return out;
  }

  ReportLvState State(const VolumeGroup& vg, const LogicalVolume& lv) const {
    return in_.lv_state ? in_.lv_state(vg, lv) : ReportLvState{};
  }

  ReportKind kind_;
  const ReportInput& in_;
  const ReportOptions& opts_;
  const Selection& sel_;
  std::deque<PvSeg> pvsegs_;  // rows point here; the builder outlives them
};

bool RightAligned(FieldType t) { return t == FieldType::kNum || t == FieldType::kSize; }

std::string Pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string RenderText(const std::vector<const FieldDef*>& fields,
                       const std::vector<std::vector<std::string>>& cells, bool headings) {
  if (cells.empty()) return "";
  std::vector<size_t> widths;
  for (size_t i = 0; i < fields.size(); ++i) {
    size_t w = std::max<size_t>(fields[i]->width, std::string_view(fields[i]->heading).size());
    for (const auto& row : cells) w = std::max(w, row[i].size());
    widths.push_back(w);
  }
  std::string out;
  auto line = [&](auto cell) {
    out += "  ";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ' ';
      out += cell(i);
    }
    out += '\n';
  };
  if (headings) line([&](size_t i) { return Pad(fields[i]->heading, widths[i], false); });
  for (const auto& row : cells) {
    line([&](size_t i) { return Pad(row[i], widths[i], RightAligned(fields[i]->type)); });
  }
  return out;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// libdm's JSON group output behind LVM's two-space log prefix.
std::string RenderJson(const std::string& key, const std::vector<const FieldDef*>& fields,
                       const std::vector<std::vector<std::string>>& cells) {
  std::string out = "  {\n      \"report\": [\n          {\n              \"" + key + "\": [\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    out += "                  {";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ", ";
      out += "\"" + std::string(fields[i]->id) + "\":\"" + JsonEscape(cells[r][i]) + "\"";
    }
    out += r + 1 < cells.size() ? "},\n" : "}\n";
  }
  out += "              ]\n          }\n      ]\n  }\n";
  return out;
}

bool ValidUnits(char u) {
  return std::string_view("hHbBsSkKmMgGtTpPeErR").find(u) != std::string_view::npos;
}

}  // namespace
}  // namespace report_internal

Result<std::string> Report(ReportKind kind, const ReportInput& in, const ReportOptions& opts) {
  namespace ri = report_internal;
  if (!ri::ValidUnits(opts.units)) {
    return InvalidArgument(
        std::string("Invalid units specification '") + opts.units +
        "'; use one of h, b, s, k, m, g, t, p, e (upper case for powers of 1000)");
  }
  LVLAB_ASSIGN_OR_RETURN(std::vector<const ri::FieldDef*> fields, ri::ResolveFields(kind, opts));
  LVLAB_ASSIGN_OR_RETURN(ri::Obj type, ri::RowType(kind, opts.segments, fields));
  LVLAB_ASSIGN_OR_RETURN(ri::Selection sel, ri::Select(kind, in, opts));
  ri::RowBuilder builder(kind, in, opts, sel);
  const std::vector<ri::Row> rows = builder.Build(type);
  const ri::Ctx ctx{in, opts.units, opts.suffix};
  std::vector<std::vector<std::string>> cells;
  for (const ri::Row& row : rows) {
    std::vector<std::string> values;
    for (const ri::FieldDef* f : fields) {
      if (row.pv && !row.pv->io && IsDriveCounter(f->id)) {
        return FailedPrecondition(
            row.pv->name + ": " + f->id +
            " counts the PV drive's I/O since the machine booted, and no machine runs between "
            "commands here; mount the lab (lvlab mount MNT) and ask its live daemon");
      }
      values.push_back(ri::FieldValue(*f, ctx, row));
    }
    cells.push_back(std::move(values));
  }
  if (opts.json) return ri::RenderJson(ri::ReportName(kind, opts.segments), fields, cells);
  return ri::RenderText(fields, cells, opts.headings);
}

bool IsDriveCounter(std::string_view field) { return DriveCounter({}, field).ok(); }

Result<uint64_t> DriveCounter(const store::DiskStats& s, std::string_view field) {
  if (field == "io_reads") return s.reads;
  if (field == "io_writes") return s.writes;
  if (field == "io_flushes") return s.flushes;
  if (field == "io_discards") return s.discards;
  if (field == "io_bytes_read") return s.bytes_read;
  if (field == "io_bytes_written") return s.bytes_written;
  return InvalidArgument("'" + std::string(field) + "' is not a drive counter");
}

}  // namespace lvlab::lvm

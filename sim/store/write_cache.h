// WriteCache: the volatile write cache of one Disk, kept apart from the image.
//
// It holds the completed but unflushed writes as a history of records (seq,
// sector range, data), oldest first, plus two range maps over sectors:
//   - `newest_`: the seq of the newest pending record covering each sector,
//     so that reads merge the cache over the image without scanning history;
//   - `floor_`: where data went to the image behind the cache's back (a FUA
//     write or a discard), the seq below which records are older than the
//     image's data. No record is ever applied to such a sector, so an older
//     record never overwrites newer durable data.
// Superseded records stay in the history until they are written back: a
// power loss may expose an older write where a newer one is lost.
//
// Write-back paths: WriteBackOldest (bounded cache: the oldest record reaches
// the image, as a real drive may at any time), WriteBackAll (a flush: only
// the newest data per sector is written, in sector order, which leaves the
// image as if every record were applied in order), and WriteBackRandom (a
// power loss: each record's sectors survive or not, see TornMask, applied in
// record order).
//
// Not thread-safe. Does not own the image, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/store/image_file.h"
#include "sim/store/range_map.h"

namespace lvlab::store {

// Which of `nsectors` sectors of one write survive a power loss (1 = kept).
// A quarter of writes are lost whole, a quarter kept whole and the rest torn:
// each sector kept with probability 1/2. Deterministic in `rng`.
std::vector<uint8_t> TornMask(Rng& rng, uint64_t nsectors);

class WriteCache {
 public:
  explicit WriteCache(ImageFile* image) : image_(image) {}

  // Records a completed write; `data` holds nsectors * kSectorSize bytes.
  void Add(uint64_t sector, uint32_t nsectors, const uint8_t* data);
  // The same for a write whose data is `*buffer` (nsectors * kSectorSize
  // bytes), which the record keeps instead of a copy; *buffer gets a buffer
  // the cache no longer needs (maybe empty) for the caller to reuse.
  void Add(uint64_t sector, uint32_t nsectors, std::vector<uint8_t>* buffer);

  // Data for [sector, sector+nsectors) went straight to the image and is
  // newer than every pending record: reads go to the image and no pending
  // record may ever be applied there.
  void Supersede(uint64_t sector, uint64_t nsectors);

  // Reads the newest data: cache records over the image.
  Status Read(uint64_t sector, uint32_t nsectors, uint8_t* out);

  // Writes the oldest record to the image and forgets it.
  // REQUIRES: !empty().
  Status WriteBackOldest();

  // WriteBackOldest in three steps, for a caller that lets other threads
  // Add and Read while the image is written (Disk's background write-back):
  //   const Record& r = Oldest(i);   under the caller's lock, i = 0, 1...;
  //   Apply(r);                       without it: the image writes, in order;
  //   RetireOldest();                 under it again, once per record applied.
  // Between Oldest and RetireOldest no call but Add, Read and the accessors
  // may come (a record's storage stays put while later ones are added).
  struct Record {  // one completed write, as the cache keeps it
    uint64_t seq;
    uint64_t sector;
    uint64_t nsectors;
    std::vector<uint8_t> data;
    uint64_t end() const { return sector + nsectors; }
  };
  const Record& Oldest(size_t i = 0) const;  // REQUIRES: i < pending_writes()
  Status Apply(const Record& r) const { return ApplyRecord(r, nullptr); }
  void RetireOldest();

  // Makes the image hold the newest data everywhere; empties the cache.
  Status WriteBackAll();

  // WriteBackAll in three steps, for a caller that lets other threads Add
  // and Read while the image is written (Disk's Flush):
  //   FlushPlan plan = PlanFlush();   under the caller's lock;
  //   ApplyFlush(plan);               without it;
  //   RetireFlushed(plan);            under it again, once ApplyFlush succeeded.
  // The image then holds what WriteBackAll would have written for the
  // records pending at PlanFlush, and those records are forgotten; records
  // added meanwhile stay pending. Between the steps no call but Add, Read
  // and the accessors may come.
  struct FlushPlan {
    struct Piece {
      const Record* record;
      uint64_t start;
      uint64_t end;
    };
    std::vector<Piece> pieces;  // the newest data of each sector, in sector order
    size_t records = 0;         // how many of the oldest records it covers
  };
  FlushPlan PlanFlush() const;
  Status ApplyFlush(const FlushPlan& plan) const;
  void RetireFlushed(const FlushPlan& plan);

  // The first run of sectors in [sector, end) whose newest data is in the
  // cache (a pending record, not superseded); nullopt if none.
  std::optional<std::pair<uint64_t, uint64_t>> FirstPending(uint64_t sector, uint64_t end) const {
    return newest_.FirstRun(sector, end);
  }
  // Every sector whose newest data is in the cache, as ranges (values: seqs).
  std::vector<RangeMap::Entry> Pending() const { return newest_.All(); }

  // Applies a random subset of every record's sectors (TornMask), in record
  // order; empties the cache.
  Status WriteBackRandom(Rng& rng);

  // Forgets every pending record.
  void Clear();

  bool empty() const { return records_.empty(); }
  uint64_t dirty_bytes() const { return dirty_bytes_; }
  size_t pending_writes() const { return records_.size(); }

 private:
  const Record& RecordFor(uint64_t seq) const;
  // A retired record's buffer that holds `bytes` without wasting more than
  // it holds, or an empty one.
  std::vector<uint8_t> TakeSpare(uint64_t bytes);
  void Append(Record r);
  // Writes the sectors of `r` that the floor allows and `keep` (if given) marks.
  Status ApplyRecord(const Record& r, const std::vector<uint8_t>* keep) const;
  Status ApplyRange(const Record& r, uint64_t start, uint64_t end,
                    const std::vector<uint8_t>* keep) const;
  Status WriteSectors(const Record& r, uint64_t start, uint64_t end) const;

  ImageFile* const image_;
  std::deque<Record> records_;  // oldest first; seqs consecutive
  RangeMap newest_;             // sector -> seq of the newest record covering it
  RangeMap floor_;              // sector -> records with a smaller seq must not be applied
  // Buffers of written-back records, for reuse: a full cache frees one per
  // write it takes, and a fresh one would fault its pages in again. The
  // last small one, and up to kLargeSpares of kLargeSpare bytes or more
  // (a copier's pieces, 1 MiB writes), which small writes would otherwise
  // push out.
  static constexpr uint64_t kLargeSpare = 64 << 10;
  static constexpr size_t kLargeSpares = 8;
  std::vector<uint8_t> spare_;
  std::vector<std::vector<uint8_t>> large_spares_;
  uint64_t next_seq_ = 0;
  uint64_t dirty_bytes_ = 0;
};

}  // namespace lvlab::store

// PowerDomain: the power supply shared by every Disk of one simulated
// machine, used to cut power in the middle of a command (crash-at-every-write
// tests).
//
// Each Write or Flush call on a Disk of the domain that is in range and finds
// the device not failed passes through Admit(). After CutAfterWrites(n), the
// first n such calls proceed; the next one finds the
// power off: that write is torn (a random subset of its sectors, drawn from
// the domain's own Rng, reaches the drive's cache) and it, like every later
// Read, Write, Flush or Discard, fails with IOError("<disk>: power is off").
// Disk::Crash on every disk of the domain decides what the cut left durable;
// Restore() turns the power back on (after the crashes: a live drive's own
// write-back thread writes nothing back while the power is off).
//
// Shared through std::shared_ptr by the disks. Thread-safe, so that disks
// driven from several threads (the live daemon's direct I/O) count their
// writes in one place; rng() belongs to the caller that got kCut.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

#include "sim/base/rng.h"

namespace lvlab::store {

class PowerDomain {
 public:
  explicit PowerDomain(uint64_t seed) : rng_(seed) {}

  // Lets `n` more Write or Flush calls through (counting from now); the one
  // after them cuts the power. Replaces any earlier pending cut.
  // REQUIRES: n >= 0.
  void CutAfterWrites(int64_t n);

  // Cuts the power at the `count`-th (from 1) Write admitted from now on
  // whose (disk name, sector, nsectors) satisfies `match`: a crash "during"
  // a kind of write (a scenario's `crash: {during: metadata-write}`).
  // Replaces any earlier pending cut.
  using WriteMatch = std::function<bool(std::string_view disk, uint64_t sector, uint64_t nsectors)>;
  void CutAtMatchingWrite(WriteMatch match, int64_t count);

  // Turns the power on again and cancels any pending cut.
  void Restore();

  bool off() const { return off_.load(std::memory_order_acquire); }

  // Write and Flush calls admitted so far, including the one that cut the
  // power; calls made while the power is off are not counted.
  int64_t writes_seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_seen_;
  }

  // For Disk. kOn: the call proceeds. kCut: this call cut the power (tear
  // it). kOff: the power was already off.
  enum class Admission { kOn, kCut, kOff };
  Admission Admit(std::string_view disk = {}, uint64_t sector = 0, uint64_t nsectors = 0);

  // The stream that decides which sectors of a torn write survive.
  Rng& rng() { return rng_; }

 private:
  mutable std::mutex mu_;  // guards everything below but rng_
  Rng rng_;
  int64_t writes_seen_ = 0;
  int64_t cut_at_ = -1;  // writes_seen_ value at which the next call cuts; -1: none
  std::atomic<bool> off_{false};
  WriteMatch match_;  // CutAtMatchingWrite's filter, or empty
  int64_t match_left_ = 0;
};

}  // namespace lvlab::store

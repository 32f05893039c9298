// Seeded, portable randomness: one root seed, one derived stream per
// component (FoundationDB/TigerBeetle style), so that adding a component does
// not shift another's stream. The standard library's distributions and libc's
// generator must not be used in the simulator: their output differs between
// libraries. OS entropy lives only in tools/session.cc (EntropySeed).
// An Rng is a value; it is not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace lvlab {

// SplitMix64 step, used for seeding and hashing seeds.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : s_) w = SplitMix64(s);
  }

  // A stream for the named component, independent of every other name.
  Rng Derive(std::string_view component) const {
    uint64_t h = 0xcbf29ce484222325ULL ^ seed_material();
    for (char c : component) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return Rng(h);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0; Lemire's multiply-shift with rejection.
  uint64_t Uniform(uint64_t n) {
    if (n <= 1) return 0;
    __uint128_t m = static_cast<__uint128_t>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // True with probability percent/100.
  bool Percent(uint32_t percent) { return Uniform(100) < percent; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t seed_material() const { return s_[0] ^ Rotl(s_[1], 13) ^ Rotl(s_[2], 29) ^ s_[3]; }

  uint64_t s_[4];
};

}  // namespace lvlab

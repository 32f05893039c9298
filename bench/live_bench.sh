#!/usr/bin/env bash
# Live-mode benchmark (ctest label bench): the same fio jobs against
#   raw   the backing file itself (a plain file on the host file system),
#   pt    libfuse's passthrough_ll example over that directory, compiled from
#         the libfuse3-dev documentation into the build tree at run time and
#         run with bench/aligned_pwrite_shim.c preloaded: libfuse 3.14 hands
#         it unaligned write payloads, which its O_DIRECT backing file
#         refuses with EINVAL (direct=1 writes); the shim copies them into an
#         aligned buffer first,
#   eng   an lvlab linear LV (MNT/vg0/lv0) with every I/O a bio on the
#         engine thread (LVLAB_NO_DIRECT_IO=1),
#   lv    the same LV as the daemon serves it: plain linear LVs are read
#         and written by the FUSE workers on the PV disks (fuse/direct_io.h),
#   move  the same LV while pvmove carries it back and forth,
# printing MB/s and IOPS per job, the ratios lv/raw (beside the issue's
# target), lv/pt, lv/eng and move/lv, and the load average. lv and move
# run job by job, each job on the idle LV and then during a fresh loop of
# pvmoves, so that both meet the host in the same state: the host starts
# writing the images' dirty pages back about 30 s into a run, and that
# costs CPU on the cores the daemon and fio share.
#
# Usage: live_bench.sh LVLAB_BINARY BUILD_DIR   (BENCH_SECONDS=N per job, default 5;
#        BENCH_SIZE=file size, default 512M)
set -euo pipefail
lvlab=$1
build=$2
secs=${BENCH_SECONDS:-5}
size=${BENCH_SIZE:-512M}
[ -w /dev/fuse ] || { echo "live_bench: /dev/fuse is not usable here; skipped"; exit 0; }
command -v fio >/dev/null || { echo "live_bench: fio is not installed; skipped"; exit 0; }

echo "load at the start: $(uptime)"
work=$(mktemp -d /tmp/lvlab-bench-XXXXXX)
lab=$work/lab
mnt=$work/mnt
ptmnt=$work/pt
mkdir -p "$mnt" "$ptmnt" "$work/raw"
movepid=""
cleanup() {
  [ -n "$movepid" ] && kill "$movepid" 2>/dev/null || true
  "$lvlab" umount "$mnt" >/dev/null 2>&1 || true
  fusermount3 -u -z "$ptmnt" 2>/dev/null || true
  fusermount3 -u -z "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The plain FUSE passthrough, never committed: built here from the example.
pt_src=""
for f in /usr/share/doc/libfuse3-dev/examples/passthrough_ll.c /usr/share/doc/libfuse3-dev/examples/passthrough_ll.c.gz; do
  [ -e "$f" ] && pt_src=$f && break
done
pt=$build/bench/passthrough_ll
if [ -n "$pt_src" ] && [ ! -x "$pt" ]; then
  mkdir -p "$build/bench"
  src=$build/bench/passthrough_ll.c
  case $pt_src in *.gz) gzip -dc "$pt_src" >"$src" ;; *) cp "$pt_src" "$src" ;; esac
  cc -O2 -w -I"$(dirname "$pt_src")" $(pkg-config --cflags fuse3) "$src" -o "$pt" \
    $(pkg-config --libs fuse3) || pt=""
fi

# The shim that lets passthrough_ll's O_DIRECT backing file take libfuse
# 3.14's unaligned write payloads.
shim=$build/bench/aligned_pwrite_shim.so
if [ -n "$pt" ] && [ ! -e "$shim" ]; then
  cc -O2 -shared -fPIC "$(dirname "$0")/aligned_pwrite_shim.c" -o "$shim" -ldl || pt=""
fi

fio_job() {  # target-file name rw bs engine depth direct -> "MBps IOPS"
  local file=$1 rw=$2 bs=$3 engine=$4 depth=$5 direct=$6
  local out
  out=$(timeout -k 5 $((secs + 120)) fio --name=j --filename="$file" --rw="$rw" --bs="$bs" \
        --ioengine="$engine" --iodepth="$depth" --direct="$direct" --size="$size" \
        --time_based=1 --runtime="$secs" --fallocate=none --randrepeat=0 \
        --output-format=terse --terse-version=3 2>/dev/null) || { echo "n/a n/a"; return; }
  # terse v3: field 7/8 read KiB/s and IOPS, 48/49 write KiB/s and IOPS.
  echo "$out" | awk -F';' '{ r=$7+$48; i=$8+$49; printf "%.1f %.0f\n", r/1024, i }'
}

jobs=(
  "read 1M psync 1 1" "write 1M psync 1 1"
  "randread 4k psync 1 1" "randwrite 4k psync 1 1"
  "randread 4k libaio 16 1" "randwrite 4k libaio 16 1"
  "randread 4k io_uring 16 1" "randwrite 4k io_uring 16 1"
  "read 1M psync 1 0" "write 1M psync 1 0"
  "randread 4k psync 1 0" "randwrite 4k psync 1 0"
)

declare -A result
run_target() {  # label file
  local label=$1 file=$2 j
  for j in "${jobs[@]}"; do
    result["$label|$j"]=$(fio_job "$file" $j)
  done
}

# raw: a filled file on the host.
raw=$work/raw/data.img
fio --name=fill --filename="$raw" --rw=write --bs=1M --size="$size" --direct=1 \
    --output=/dev/null
run_target raw "$raw"

if [ -n "$pt" ] && [ -x "$pt" ]; then
  LD_PRELOAD=$shim "$pt" -o source="$work/raw" "$ptmnt"
  run_target pt "$ptmnt/data.img"
  fusermount3 -u "$ptmnt"
fi

"$lvlab" --lab "$lab" pvcreate pv1 --size 1G >/dev/null
"$lvlab" --lab "$lab" pvcreate pv2 --size 1G >/dev/null
"$lvlab" --lab "$lab" vgcreate -s 4M vg0 pv1 pv2 >/dev/null
"$lvlab" --lab "$lab" lvcreate -L "$size" -n lv0 vg0 pv1 >/dev/null
lv=$mnt/vg0/lv0
# eng: the LV with every I/O a bio on the engine thread (the daemon's direct
# I/O switched off), for comparison with lv, where plain linear LVs are read
# and written by the FUSE workers themselves (fuse/direct_io.h).
LVLAB_NO_DIRECT_IO=1 "$lvlab" --lab "$lab" mount "$mnt"
fio --name=fill --filename="$lv" --rw=write --bs=1M --size="$size" --direct=1 \
    --fallocate=none --output=/dev/null
run_target eng "$lv"
"$lvlab" --lab "$lab" umount "$mnt"
"$lvlab" --lab "$lab" mount "$mnt"
start_moves() {
  ( while :; do
      "$lvlab" --lab "$lab" pvmove -i 1 pv1 pv2 >/dev/null 2>&1 || sleep 1
      "$lvlab" --lab "$lab" pvmove -i 1 pv2 pv1 >/dev/null 2>&1 || sleep 1
    done ) &
  movepid=$!
  sleep 1
}
stop_moves() {  # and wait for the pvmove under way to finish
  kill "$movepid" 2>/dev/null || true
  wait "$movepid" 2>/dev/null || true
  movepid=""
  while "$lvlab" --lab "$lab" lvs -a 2>/dev/null | grep -q pvmove; do sleep 0.5; done
}
for j in "${jobs[@]}"; do
  result["lv|$j"]=$(fio_job "$lv" $j)
  start_moves
  result["move|$j"]=$(fio_job "$lv" $j)
  stop_moves
done

# The issue's targets for a linear LV, direct=1: the ratio to raw that
# libfuse's passthrough_hp reaches (reference/fuse-performance.md).
target() {
  case "$1" in
    "read 1M psync 1 1") echo 0.66 ;; "write 1M psync 1 1") echo 0.42 ;;
    "randread 4k psync 1 1") echo 0.74 ;; "randwrite 4k psync 1 1") echo 0.80 ;;
    "randread 4k "*" 16 1") echo 0.75 ;; "randwrite 4k "*" 16 1") echo 0.52 ;;
    *) echo "-" ;;
  esac
}

echo "load before the report: $(uptime)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "-"; else printf "%.2f", a / b }'; }
fmt="%-26s %9s %9s %9s %9s %9s | %7s %7s %7s %7s %7s | %6s %6s %6s %6s %6s\n"
printf "$fmt" job raw_MB/s pt_MB/s eng_MB/s lv_MB/s mv_MB/s raw_IOPS pt_IOPS eng_IOPS lv_IOPS \
  mv_IOPS lv/raw target lv/pt lv/eng mv/lv
for j in "${jobs[@]}"; do
  read -r rm ri <<<"${result[raw|$j]}"
  read -r pm pi <<<"${result[pt|$j]:-n/a n/a}"
  read -r em ei <<<"${result[eng|$j]}"
  read -r lm li <<<"${result[lv|$j]}"
  read -r mm mi <<<"${result[move|$j]}"
  set -- $j
  name="$1 $2 $3 qd$4 d$5"
  printf "$fmt" "$name" "$rm" "$pm" "$em" "$lm" "$mm" "$ri" "$pi" "$ei" "$li" "$mi" \
    "$(ratio "$li" "$ri")" "$(target "$j")" "$(ratio "$li" "$pi")" "$(ratio "$li" "$ei")" \
    "$(ratio "$mi" "$li")"
done

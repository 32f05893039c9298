#!/usr/bin/env bash
# Live-mode soak (ctest label bench): mixed fio (scenarios/fio/mixed-rw.fio)
# for SOAK_SECONDS (default 600) on a mounted LV while pvmove carries it
# back and forth, then fio's crc32c verification of a full write pass, moves still going. Fails
# if fio, a pvmove or the verification fails, or the mount stops serving.
#
# Usage: live_soak.sh LVLAB_BINARY FIO_JOB_DIR
set -euo pipefail
lvlab=$1
jobs=$2
secs=${SOAK_SECONDS:-600}
[ -w /dev/fuse ] || { echo "live_soak: /dev/fuse is not usable here; skipped"; exit 0; }
command -v fio >/dev/null || { echo "live_soak: fio is not installed; skipped"; exit 0; }
work=$(mktemp -d /tmp/lvlab-soak-XXXXXX)
lab=$work/lab
mnt=$work/mnt
mkdir -p "$mnt"
mover=""
cleanup() {
  [ -n "$mover" ] && kill "$mover" 2>/dev/null || true
  "$lvlab" umount "$mnt" >/dev/null 2>&1 || true
  fusermount3 -u -z "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
L() { "$lvlab" --lab "$lab" "$@"; }
L pvcreate pv1 --size 512M >/dev/null
L pvcreate pv2 --size 512M >/dev/null
L vgcreate -s 4M vg0 pv1 pv2 >/dev/null
L lvcreate -L 256M -n lv0 vg0 pv1 >/dev/null
L mount "$mnt"
export LVLAB_LV=$mnt/vg0/lv0 RUNTIME=$secs
( moves=0
  while :; do
    L pvmove -i 1 pv1 pv2 >/dev/null || exit 1
    L pvmove -i 1 pv2 pv1 >/dev/null || exit 1
    moves=$((moves + 2))
    echo "$moves" >"$work/moves"
  done ) &
mover=$!
timeout -k 5 $((secs + 120)) fio --output="$work/mixed.log" "$jobs/mixed-rw.fio" ||
  { cat "$work/mixed.log"; echo "live_soak: mixed fio failed"; exit 1; }
# A full write pass with crc32c headers, verified, while the moves go on.
timeout -k 5 600 fio --output="$work/verify.log" "$jobs/verify-write.fio" ||
  { cat "$work/verify.log"; echo "live_soak: verification failed"; exit 1; }
kill -0 "$mover" 2>/dev/null || { echo "live_soak: a pvmove failed"; exit 1; }
kill "$mover"; wait "$mover" 2>/dev/null || true; mover=""
echo "live_soak: ${secs}s of mixed I/O, $(cat "$work/moves" 2>/dev/null || echo 0) pvmoves, verify passed"
grep -E "^ +(read|write):" "$work/mixed.log" || true

#!/usr/bin/env bash
# Benchmark (ctest label bench): real seconds and peak memory per simulated
# hour of pvmove under load (bench/hour-pvmove.yaml), against the targets
# (under 30 s, under 256 MiB). Usage: bench/hour_pvmove.sh LVLAB_BINARY
set -euo pipefail
lvlab=${1:?usage: $0 path/to/lvlab}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/lvlab-hour-XXXXXX)
trap 'rm -rf "$dir"' EXIT
/usr/bin/time -f "%e %M" -o "$dir/time" "$lvlab" run "$here/hour-pvmove.yaml" --image-dir "$dir"
read -r secs kib < "$dir/time"
awk -v s="$secs" -v k="$kib" 'BEGIN {
  printf "one simulated hour of pvmove under a 1,000 IOPS workload: %.1f s real (target < 30 s: %.2fx of budget), peak RSS %.0f MiB (target < 256 MiB: %.2fx)\n", s, s / 30, k / 1024, k / 1024 / 256
  exit (s < 30 && k / 1024 < 256) ? 0 : 1 }'

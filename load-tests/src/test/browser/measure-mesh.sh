#!/usr/bin/env bash
# Lab measurement (outside CI): RUNS x (mesh on, mesh off) of run-mesh.sh, each in its own loopback-only network
# namespace, then a Markdown summary. Needs root (unshare), Debian's chromium, node_modules (npm ci --ignore-scripts).
# Usage: [MESH_CHURN=none] measure-mesh.sh RELAY_JAR SOURCE_TS RUNS PAGES SECONDS OUT_ROOT
# (MESH_CHURN=none: every page stays to the end; MESH_CHURN=rolling: every MESH_CHURN_EVERY seconds (10) the
# longest-playing page leaves and a new one joins; by default the last page leaves at 60 % of the run.)
set -euo pipefail
relay_jar=$1 source=$2 runs=$3 pages=$4 seconds=$5 root=$6
here=$(cd "$(dirname "$0")" && pwd)
dirs=()
for run in $(seq 1 "$runs"); do
  for mesh in on off; do
    out="$root/run$run-$mesh"
    rm -rf "$out"; mkdir -p "$out"
    unshare -n bash "$here/run-mesh.sh" "$relay_jar" "$source" "$pages" "$seconds" "$out" 0 "$([ $mesh = on ] && echo true || echo false)" \
      > "$out/run.log" 2>&1 || echo "run $run mesh $mesh failed (see $out/run.log)" >&2
    dirs+=("$out")
  done
done
node "$here/summarize.mjs" "${dirs[@]}" | tee "$root/summary.md"

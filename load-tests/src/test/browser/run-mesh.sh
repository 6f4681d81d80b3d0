#!/usr/bin/env bash
# Runs inside a fresh network namespace with only loopback (see BrowserMeshIT): a standalone relay
# with the leaf mesh on, ffmpeg looping a pre-encoded source into it, and headless Chromium pages.
# Usage: run-mesh.sh RELAY_JAR SOURCE_TS PAGES SECONDS OUT_DIR [HOSTILE_PAGES] [MESH true|false]
set -euo pipefail
relay_jar=$1 source=$2 pages=$3 seconds=$4 out=$5 hostile=${6:-0} mesh=${7:-true}
here=$(cd "$(dirname "$0")" && pwd)
ip link set lo up
mkdir -p "$out"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

# MESH_TURN=1: a coturn TURN server on loopback checking TURN REST API credentials (a shared secret), and pages
# allowed only relayed candidates. The relay derives each page's expiring credentials from the same secret.
turn_props=()
if [ "${MESH_TURN:-0}" = 1 ]; then
  turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 --min-port=40000 --max-port=40999 \
    --use-auth-secret --static-auth-secret=turn-secret --realm=stripecast --no-tls --no-dtls --no-cli --allow-loopback-peers \
    --log-file=stdout --simple-log --verbose > "$out/turnserver.log" 2>&1 &
  pids+=($!)
  turn_props=(-Dstripecast.streams.mesh.mesh.ice-servers="turn:127.0.0.1:3478?transport=udp"
    -Dstripecast.streams.mesh.mesh.turn-secret=turn-secret -Dstripecast.streams.mesh.mesh.turn-credential-ttl=10m
    -Dstripecast.streams.mesh.mesh.ice-transport-policy=relay)
fi

# MESH_SIGNING_KEY=<key>: the stream needs signed playback URLs; every page opens the player page with a token of its
# own (a different expiry each), so the pages' URLs differ while they must still share one swarm.
signing_props=()
token=
if [ -n "${MESH_SIGNING_KEY:-}" ]; then
  signing_props=(-Dstripecast.streams.mesh.playback-signing-key="$MESH_SIGNING_KEY")
  token="?$("$here/../../../../bin/sign-playback-url" "$MESH_SIGNING_KEY" mesh 3600)"
  urls=()
  for i in $(seq 1 "$pages"); do
    urls+=("http://127.0.0.1:18480/live/mesh/?$("$here/../../../../bin/sign-playback-url" "$MESH_SIGNING_KEY" mesh $((3600 + 100 * i)))")
  done
  export PAGE_URLS="${urls[*]}"
  printf '%s\n' "${urls[@]}" > "$out/page-urls.txt"
fi

# Mutual TLS on the gRPC planes, as every relay runs (this one has no peers, but its certificate must exist).
"$here/../../../../bin/tls-certs" "$out/tls" edge
java -Xmx256m -XX:+UseSerialGC "${turn_props[@]}" "${signing_props[@]}" -Dstripecast.tls.cert="$out/tls/edge.crt" -Dstripecast.tls.key="$out/tls/edge.key" \
  -Dstripecast.tls.ca="$out/tls/ca.crt" -Dstripecast.relay.id=edge -Dquarkus.http.port=18480 -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.management.port=18481 -Dquarkus.management.host=127.0.0.1 \
  -Dstripecast.relay.grpc-port=19480 -Dstripecast.relay.grpc-host=127.0.0.1 \
  -Dstripecast.streams.mesh.k=2 -Dstripecast.streams.mesh.m=1 -Dstripecast.streams.mesh.window=20s \
  -Dstripecast.streams.mesh.mesh.enabled="$mesh" -Dstripecast.streams.mesh.mesh.max-peers=8 \
  -jar "$relay_jar" > "$out/relay.log" 2>&1 &
relay_pid=$!
pids+=($relay_pid)
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18481/q/health/ready >/dev/null 2>&1 && break; sleep 0.5; done

ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$source" -c copy -f hls -hls_time 1 -hls_list_size 5 \
  -method PUT http://127.0.0.1:18480/ingest/mesh/index.m3u8 > "$out/ffmpeg.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:18480/live/mesh/index.m3u8$token" >/dev/null 2>&1 && break; sleep 0.5; done
# Signed: one unsigned request, so the run shows signing was on (the test expects it refused, and nothing else).
if [ -n "$token" ]; then
  curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18480/live/mesh/index.m3u8 > "$out/unsigned-status.txt" || true
fi
sleep 4

node "$here/mesh.mjs" "http://127.0.0.1:18480/live/mesh/" "$pages" "$seconds" "$hostile" > "$out/pages.json" 2> "$out/node.log"
curl -sf http://127.0.0.1:18481/q/metrics > "$out/metrics.txt"
# The relay's (tracker's) resident memory in KB and CPU time over the run.
ps -o rss=,cputime= -p "$relay_pid" > "$out/relay-ps.txt" || true

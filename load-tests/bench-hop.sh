#!/bin/sh
# The honest relay benchmark (BENCHMARKS.md, "HopBench"): one relay alone on core 0, its parent, children and
# viewers on core 1, the same jobs through nginx in the same run. Arguments are key=value, e.g.
#   load-tests/bench-hop.sh rates=10,80,300 shapes=2+1,3+2 seconds=20 warmup=40 viewers=4
# Set SKIP_BUILD=1 to reuse load-tests/target/benchmarks.jar and edge-relay/target/quarkus-app.
set -e
cd "$(dirname "$0")/.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q -pl load-tests -am package -DskipTests
fi
exec taskset -c "${OTHER_CORES:-1}" java -Xmx3g -Drelay.jar=edge-relay/target/quarkus-app/quarkus-run.jar \
  -cp load-tests/target/benchmarks.jar io.stripecast.lab.hop.HopBench "others=${OTHER_CORES:-1}" "$@"

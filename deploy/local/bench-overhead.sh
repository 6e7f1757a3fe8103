#!/usr/bin/env bash
# Where a Classify's time goes (docs/benchmarks.md): the packaged services as processes, per-stage p50/p99 from the
# services' own timings, the hops between them, and throughput at a concurrency.
# Args: [tiny|stand-in] [requests=500] [concurrency=16] [--jfr]
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/deploy/local/postgres.sh"
cd "$REPO_ROOT"
[ "${1:-tiny}" = "tiny" ] || "$REPO_ROOT/deploy/local/default-bundle.sh"
# the three services packaged from these sources (a stale package is refused), and what the registry's tests need
./mvnw -B -q install -DskipTests -pl segmentation-service,embedding-service,support-registry -am
# from the module's directory: the benchmark finds the packaged services as its sibling modules (../<module>/target)
cd support-registry
../mvnw -B -q test-compile exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=org.affectdml.registry.bench.ClassifyOverheadBenchmark -Dexec.args="$*" \
  -Daffect.model-store="$AFFECT_MODEL_STORE" \
  -Ddb.url="${AFFECT_TEST_DB_URL:-jdbc:postgresql://127.0.0.1:5432/affect_test}"

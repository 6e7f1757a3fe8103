#!/usr/bin/env bash
# KNN benchmark of Classify's support search on PostgreSQL + pgvector (docs/benchmarks.md).
# Args: [supports-small=10000 supports-large=100000 taxonomies=1000 queries=200 [exact-search-max=20000]]
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/deploy/local/postgres.sh"
cd "$REPO_ROOT"
# install what the registry module needs (a clean clone has no snapshots in ~/.m2), then run from its test classes
./mvnw -B -q install -DskipTests -pl support-registry -am
./mvnw -B -q exec:java -pl support-registry -Dexec.classpathScope=test \
  -Dexec.mainClass=org.affectdml.registry.bench.KnnBenchmark -Dexec.args="$*" \
  -Ddb.url="${AFFECT_DB_URL:-jdbc:postgresql://127.0.0.1:5432/affect}"

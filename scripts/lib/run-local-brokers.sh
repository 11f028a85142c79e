#!/usr/bin/env bash
# Shared by local-kafka.sh and local-kinesis.sh: builds examples-it's test class path and runs
# dev.sluice.examples.tools.LocalBrokers <kafka|kinesis> in the background, then waits.
#
# The JVM stops its brokers (and deletes their data) when its stdin closes. Ctrl-C reaches this
# script, whose trap closes that stdin, waits for the JVM to finish cleanly, and exits.
set -euo pipefail

backend="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-local-$backend.XXXXXX")"
fifo="$work/stdin"
mkfifo "$fifo"

jvm=""
stop() {
  trap - INT TERM
  if [[ -n "$jvm" ]] && kill -0 "$jvm" 2>/dev/null; then
    exec 3>&- # EOF on the JVM's stdin: it stops the brokers and exits
    for _ in $(seq 1 300); do
      kill -0 "$jvm" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$jvm" 2>/dev/null; then
      echo "Still running after 30 s; killing $jvm" >&2
      kill -TERM "$jvm" 2>/dev/null || true
    fi
    wait "$jvm" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit 0
}
trap stop INT TERM

echo "Building the examples and starting $backend (the first run downloads what it needs)..."
# shellcheck disable=SC2086
# examples-it's exec:java runs LocalBrokers on its test class path; the examples module, in the
# reactor under -am, would run its own app: sluice.examples.run.skip leaves it out.
mvn -q ${MVN_ARGS:-} -pl examples-it -am test-compile exec:java \
  -Dsluice.examples.run.skip=true \
  -Dexec.args="$backend" <"$fifo" &
jvm=$!
exec 3>"$fifo" # hold the write end open until Ctrl-C

# wait returns early when a trapped signal arrives; the trap then stops the JVM.
status=0
wait "$jvm" || status=$?
rm -rf "$work"
exit "$status"

#!/usr/bin/env bash
# Starts a real Apache Kafka broker for the example apps: one KRaft node (broker and controller)
# from Maven Central's kafka_2.13, on 127.0.0.1 only, with formatted storage in a temp directory.
# Prints the Sluice settings that reach it and stops it, deleting its data, on Ctrl-C.
#
# Usage: scripts/local-kafka.sh        (extra Maven flags, e.g. -o, in MVN_ARGS)
set -euo pipefail

if [[ $# -gt 0 ]]; then
  case "$1" in
    -h | --help)
      sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "local-kafka.sh: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
fi

exec "$(dirname "$0")/lib/run-local-brokers.sh" kafka

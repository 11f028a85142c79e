#!/usr/bin/env bash
# Starts a local Kinesis for the example apps, on 127.0.0.1 only: the kinesis-local emulator
# (npm kinesis-local@0.6.2) and the dynalite DynamoDB emulator (npm dynalite@4.0.0, open source) in
# memory for the KCL's leases and checkpoints; both are installed into target/ on first use and need
# Node 20+.
# Prints the Sluice settings that reach them and stops both on Ctrl-C.
#
# Usage: scripts/local-kinesis.sh      (extra Maven flags, e.g. -o, in MVN_ARGS)
set -euo pipefail

if [[ $# -gt 0 ]]; then
  case "$1" in
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "local-kinesis.sh: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
fi

if ! command -v node >/dev/null 2>&1; then
  echo "local-kinesis.sh: Node.js 20 or newer is needed for the kinesis-local and dynalite emulators" >&2
  exit 1
fi

exec "$(dirname "$0")/lib/run-local-brokers.sh" kinesis

#!/bin/sh
# A stand-in for a command-line tool, for docs/model-based-testing.md: each attempt ends the
# way its first argument says, printing what such tools print.
case "$1" in
  succeed) echo "done"; echo "total cost: \$0.10" ;;
  fail) echo "error: the tool crashed" >&2; exit 1 ;;
  rate-limit) echo "429 Too Many Requests: retry after $2 seconds" >&2; exit 1 ;;
  cost) echo "done"; echo "total cost: \$$2" ;;
  *) echo "usage: flaky-cli.sh succeed | fail | rate-limit SECONDS | cost USD" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# expect-exit.sh CODE COMMAND...: passes only when COMMAND exits with exactly CODE.
# (ctest's WILL_FAIL accepts any non-zero exit, a crash included.)
set -u
want=$1
shift
"$@"
got=$?
if [ "$got" -ne "$want" ]; then
  echo "expect-exit: '$*' exited $got, expected $want" >&2
  exit 1
fi
exit 0

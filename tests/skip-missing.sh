#!/bin/sh
# Stands in for a test's runner when a tool it needs is not installed: the test is still
# listed and reports itself skipped with the reason (CI fails on any skipped test), instead of
# silently not existing. Usage: skip-missing.sh REASON [the test's own command, ignored]
echo "SKIP: $1"
exit 77

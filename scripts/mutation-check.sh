#!/usr/bin/env bash
# Mutation check: one-line changes to code that matters (identity checksums, the wipe, the
# outbox's durability and dedupe, receipt verification, the QR MAC, the staff PIN lock-out,
# recognition acceptance, representation), each applied on its own in a COPY of the tree
# (a clone of HEAD; this tree is never touched), rebuilt (only the targets its tests need) and
# tested with the ctest entries that should catch it. A mutation that no test catches is a
# hole in the suite: the script reports it ("SURVIVED") and exits 1.
#
#   scripts/mutation-check.sh [--work DIR] [--only N[,N...]] [--list]
#
# The copy's build folder is kept in DIR (default /var/tmp/kiosk-mutation), so a second run
# rebuilds only what the mutations touch. Results: DIR/results.txt, one line per mutation.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=/var/tmp/kiosk-mutation
only=
list_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=${2:?}; shift 2 ;;
    --only) only=",${2:?},"; shift 2 ;;
    --list) list_only=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "mutation-check: unknown argument $1" >&2; exit 2 ;;
  esac
done

# file | the exact line text to change (must occur once) | what it becomes | build targets | ctest -R regex
mutations=(
  # identity numbers: the check digits
  'forms/src/identity.cpp|  if (k == 11) return 0;|  if (k == 11) return 1;|forms_tests|^forms_tests: ?.*(identity|fødselsnummer|D-number|check)'
  'forms/src/identity.cpp|  if (!k2 \|\| *k2 != d[10]) {|  if (!k2) {|forms_tests|^forms_tests: ?'
  'forms/src/identity.cpp|  if (remainder == 0) {|  if (remainder == 1) {|forms_tests|^forms_tests: ?'
  'forms/src/identity.cpp|  } else if (remainder <= 3) {|  } else if (remainder <= 4) {|forms_tests|^forms_tests: ?'
  # representation rules
  'forms/src/representation.cpp|    if (rep_age < type->min_representative_age) refuse(d, "representative-under-18");|    if (rep_age < type->min_representative_age - 1) refuse(d, "representative-under-18");|forms_tests|^forms_tests: ?'
  'forms/src/representation.cpp|    if (type->max_represented_age && age >= *type->max_represented_age) refuse(d, "represented-too-old");|    if (type->max_represented_age && age > *type->max_represented_age) refuse(d, "represented-too-old");|forms_tests|^forms_tests: ?'
  # the wipe
  'kiosk/flow/src/session.cpp|  sodium_memzero(s.data(), s.capacity());|  sodium_memzero(s.data(), s.size());|kiosk_wipe_tests|^kiosk_wipe_tests: ?'
  'kiosk/flow/src/session.cpp|  sodium_memzero(s.data(), s.capacity());|  (void)s;|kiosk_wipe_tests|^kiosk_wipe_tests: ?'
  'kiosk/flow/src/session.cpp|       {&help_code, &submission_id, &category, &form_id, &typed, &receipt_reference, &assisted_by, &assisted_by_name,|       {&help_code, &submission_id, &category, &form_id, &receipt_reference, &assisted_by, &assisted_by_name,|kiosk_wipe_tests|^kiosk_wipe_tests: ?'
  # the QR code's MAC
  'print/src/qr_payload.cpp|  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;|  return given.size() == expected.size();|print_tests|^print_tests: ?.*(qr|QR|MAC|mac)'
  'print/src/qr_payload.cpp|  if (pos == std::string_view::npos \|\| key.bytes().size() < kMinKeyBytes) return false;|  if (pos == std::string_view::npos) return false;|print_tests|^print_tests: ?.*(qr|QR|MAC|mac|key)'
  # the staff PIN lock-out
  'kiosk/flow/src/staff_lock.cpp|  if (++failures_ >= max_failures_) {|  if (++failures_ > max_failures_) {|kiosk_ui_tests|^kiosk_ui_tests: ?staff mode'
  'kiosk/flow/src/staff_lock.cpp|  if (locked_out(now)) return Result::LockedOut;|  if (false) return Result::LockedOut;|kiosk_ui_tests|^kiosk_ui_tests: ?staff mode'
  'kiosk/flow/src/staff_lock.cpp|  if (pin_hash_.rfind("$argon2id$", 0) != 0) return Result::NoPinSet;|  if (pin_hash_.empty()) return Result::NoPinSet;|kiosk_ui_tests|^kiosk_ui_tests: ?staff mode'
  'kiosk/flow/src/staff_lock.cpp|  const bool number_locked = ++state.failures >= max_failures_;|  const bool number_locked = ++state.failures > max_failures_;|kiosk_ui_tests kiosk_staff_sign_in_tests|^kiosk_(ui|staff_sign_in)_tests: ?.*(staff|lock)'
  # receipt verification
  'kiosk/outbox/crypto.cpp|  if (X509_verify_cert(ctx.get()) != 1) {|  if (false) {|queue_unit_tests|^queue_unit_tests: ?'
  'kiosk/outbox/crypto.cpp|  if (expected_signer && X509_cmp(expected_signer, opened.signer.get()) != 0)|  if (false)|queue_unit_tests installer_store_tests|^(queue_unit_tests|installer_store_tests): ?'
  'kiosk/outbox/crypto.cpp|      (revocation_list && X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) != 1) \|\||      (revocation_list && X509_STORE_set_flags(store.get(), 0) != 1) \|\||queue_unit_tests|^queue_unit_tests: ?'
  'kiosk/outbox/crypto.cpp|  if (!has_key_usage(opened.signer.get(), KU_NON_REPUDIATION))|  if (false)|queue_unit_tests installer_store_tests|^(queue_unit_tests|installer_store_tests): ?'
  # the outbox: receipts deduplicated, commits durable and atomic
  'kiosk/outbox/outbox.cpp|    if (current == Status::Accepted \|\| current == Status::Rejected)|    if (false)|queue_unit_tests queue_integration_tests|^queue_(unit|integration)_tests: ?'
  'kiosk/outbox/outbox.cpp|          !store::HeldSheets(im.store).remove_in_transaction(submission.settles_held_sheet))|          false)|queue_unit_tests queue_integration_tests kiosk_staff_members_tests|^(queue_(unit|integration)_tests|kiosk_staff_members_tests): ?'
  'kiosk/store/store.cpp|  db.exec("PRAGMA synchronous=FULL");|  db.exec("PRAGMA synchronous=OFF");|queue_unit_tests queue_integration_tests installer_tests|^(queue_(unit|integration)_tests|installer_tests): ?'
  # recognition acceptance
  'scanners/include/scanners/digits.hpp|    return guess.digit >= 0 && guess.confidence >= min_confidence && guess.lowest >= min_lowest &&|    return guess.digit >= 0 && guess.lowest >= min_lowest &&|scan_tests|^scan_tests: ?.*(digit|accept)'
  'scanners/src/letters.cpp|  if (guess.confidence >= alone_min_confidence) return true;|  if (guess.confidence >= agreed_min_confidence) return true;|scan_tests|^scan_tests: ?.*(letter|accept)'
  # what the package's pre-removal script is told is still owed to the platform
  "kiosk/admin/src/checks.cpp|  return count_rows(db.get(), store_file, \"SELECT count(*) FROM outbox WHERE status IN ('queued', 'sent', 'parked')\");|  return count_rows(db.get(), store_file, \"SELECT count(*) FROM outbox WHERE status IN ('queued', 'sent')\");|installer_store_tests installer_tests|^installer_(store_)?tests: ?.*undelivered"
  # read aloud: leaving a screen silences what it was saying
  'kiosk/app/src/read_aloud.cpp|  if (device_) SDL_ClearQueuedAudio(device_);|  if (false) SDL_ClearQueuedAudio(device_);|kiosk_read_aloud_tests|^kiosk_read_aloud_tests: ?'
)

# One mutation's fields, split at "|" (a literal "|" in the code is written "\|"), into
# the variables file, from, to, targets and regex.
parse() {
  IFS=$'\001' read -r file from to targets regex <<<"$(printf '%s' "$1" | sed 's/\\|/\x02/g; s/|/\x01/g; s/\x02/|/g')"
  # The regex is the last field: its own "|" (alternation) were split too and come back here.
  regex=${regex//$'\001'/|}
}

if [ $list_only -eq 1 ]; then
  i=0
  for m in "${mutations[@]}"; do
    i=$((i + 1))
    parse "$m"
    printf '%2d %s (%s; ctest -R %s)\n   - %s\n   + %s\n' $i "$file" "$targets" "$regex" "$from" "$to"
  done
  exit 0
fi

command -v python3 >/dev/null || { echo "mutation-check: needs python3 (scripts/install-deps.sh)" >&2; exit 1; }
src="$work/src"
# The build folder inside the copy, as in a worktree: with ccache's base_dir above WORK, the
# copy's objects then hash like any worktree's, and the first build is mostly cache hits.
build="$src/build"
mkdir -p "$work"
if [ ! -d "$src/.git" ]; then git clone --quiet --no-hardlinks "$repo" "$src"; fi
git -C "$src" fetch --quiet "$repo" HEAD
git -C "$src" checkout --quiet --force FETCH_HEAD
git -C "$src" clean --quiet -fdx -e build
cmake -S "$src" -B "$build" -DKIOSK_WERROR=ON -DKIOSK_BENCH=OFF >/dev/null
results="$work/results.txt"
: >"$results"
survived=0
i=0
for m in "${mutations[@]}"; do
  i=$((i + 1))
  [ -z "$only" ] || [[ "$only" == *",$i,"* ]] || continue
  parse "$m"
  # Apply: exactly one line must match, or the list is out of date with the code.
  if ! python3 - "$src/$file" "$from" "$to" <<'EOF'
import sys
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path, encoding="utf-8").read().split("\n")
hits = [k for k, l in enumerate(lines) if l == old]
if len(hits) != 1:
    sys.exit(f"{len(hits)} lines match")
lines[hits[0]] = new
open(path, "w", encoding="utf-8").write("\n".join(lines))
EOF
  then
    echo "$i STALE $file: the line to mutate is not there once; update the list" | tee -a "$results"
    survived=$((survived + 1))
    continue
  fi
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! cmake --build "$build" -j"$(nproc)" --target $targets >"$work/build-$i.log" 2>&1; then
    outcome="CAUGHT (does not compile)"
  elif (cd "$build" && ctest -R "$regex" --timeout 600 -j"$(nproc)" >"$work/test-$i.log" 2>&1); then
    # ctest exits 0 when the regex matches no test: that is no check at all.
    if grep -q 'No tests were found' "$work/test-$i.log"; then outcome="SURVIVED (no test matched)"; else outcome="SURVIVED"; fi
    survived=$((survived + 1))
  else
    failed=$(grep -cE 'Test +#[0-9]+: .*\*\*\*(Failed|Timeout|Exception)' "$work/test-$i.log" || true)
    ran=$(sed -nE 's/.*tests passed, [0-9]+ tests failed out of ([0-9]+).*/\1/p' "$work/test-$i.log")
    [ -n "$ran" ] || ran=0
    outcome="CAUGHT ($failed of $ran test(s) failed)"
    [ "$ran" -gt 0 ] || { outcome="SURVIVED (no test matched)"; survived=$((survived + 1)); }
  fi
  git -C "$src" checkout --quiet -- "$file"
  echo "$i $outcome $(( $(date +%s) - start ))s $file: $(sed 's/^ *//' <<<"$to")" | tee -a "$results"
done
echo "mutation-check: $i mutation(s), $survived not caught; details in $work"
[ $survived -eq 0 ]

#!/usr/bin/env bash
# kioskctl config example | config check | setup | keys | doctor | admin undelivered, as an
# admin types them, against temp files.   cli-test.sh KIOSKCTL
set -uo pipefail
kioskctl=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Never the machine's /etc/helsenorge-kiosk/kiosk.toml: a command missing --config fails here.
export KIOSK_CONFIG="$work/no-such-kiosk.toml"
# A broker address nothing listens on, chosen now (RabbitMQ may be on 5672 on this machine).
broker_port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 40000))
  if ! (: </dev/tcp/127.0.0.1/$p) 2>/dev/null; then broker_port=$p; break; fi
done
[ -n "$broker_port" ] || { echo "FAIL: no free port for the broker address"; exit 1; }
broker="amqp://127.0.0.1:$broker_port"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_rc() {  # expect_rc CODE DESCRIPTION -- COMMAND...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  [ $rc -eq "$want" ] || { fail "$what: exit $rc, expected $want"; cat "$work/out" "$work/err"; }
}

# The example is a valid configuration with no warnings.
"$kioskctl" config example > "$work/example.toml" || fail "config example"
expect_rc 0 "config check of the example" -- "$kioskctl" config check --config "$work/example.toml"
[ -s "$work/err" ] && fail "the example gives warnings: $(cat "$work/err")"

# A wrong type names the key and the line; an unknown key warns but passes.
printf '[ui]\n\ninactivity_warning_seconds = "soon"\n' > "$work/bad.toml"
expect_rc 3 "config check of a bad file" -- "$kioskctl" config check --config "$work/bad.toml"
grep -q 'line 3' "$work/err" || fail "the error does not name line 3: $(cat "$work/err")"
printf '[ui]\ncolour = "red"\n' > "$work/typo.toml"
expect_rc 0 "config check with an unknown key" -- "$kioskctl" config check --config "$work/typo.toml"
grep -q 'unknown key "ui.colour"' "$work/err" || fail "no unknown-key warning"

# setup writes a valid file with the PIN hashed, from flags and stdin only.
mkdir -p "$work/usb"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=t -days 30 \
  -keyout "$work/usb/broker-client.key" -out "$work/usb/broker-client.pem" >/dev/null 2>&1
conf="$work/etc/kiosk.toml"
echo 246810 | "$kioskctl" setup --config "$conf" --site-name "Biblioteket" --broker "$broker" \
  --languages nb,nn,en --default-language nn --pin-stdin --certs-from "$work/usb" --cert-dir "$work/state/certs" \
  --set ui.theme=high-contrast --set store.path="$work/state/kiosk.db" --set store.key_file="$work/state/store.key" \
  --set print.mac_key_file="$work/state/qr-mac.key" >"$work/setup.out" 2>"$work/err" ||
  { fail "setup"; cat "$work/setup.out" "$work/err"; }
[ "$(stat -c %a "$conf")" = 640 ] || fail "config mode is $(stat -c %a "$conf")"
grep -qE "^pin_hash = [\"']\\\$argon2id\\\$" "$conf" || fail "no Argon2id PIN hash in $conf"
grep -q '246810' "$conf" && fail "the PIN is in the file in clear text"
grep -qE "^tls_client_key = [\"']$work/state/certs/broker-client.key[\"']" "$conf" || fail "client key not configured"
[ "$(stat -c %a "$work/state/certs/broker-client.key")" = 600 ] || fail "imported key is not 0600"
expect_rc 0 "config check of the setup result" -- "$kioskctl" config check --config "$conf"
grep -qE "^default_language = [\"']nn[\"']" "$conf" || fail "default language not written"
# setup made the QR code key (32 bytes, 0600) and says so; a second run keeps it as it is.
[ "$(stat -c %a:%s "$work/state/qr-mac.key" 2>/dev/null)" = 600:32 ] || fail "setup made no 0600 QR key of 32 bytes"
grep -q "made the QR code key" "$work/setup.out" || fail "setup did not say it made the QR key"
qr_before=$(sha256sum "$work/state/qr-mac.key")
# A second run changes one key and keeps the rest.
"$kioskctl" setup --config "$conf" --site-name "Biblioteket 2" >"$work/out" 2>&1 || fail "second setup"
[ "$qr_before" = "$(sha256sum "$work/state/qr-mac.key")" ] || fail "a second setup replaced the QR key"
grep -q "made the QR code key" "$work/out" && fail "a second setup says it made the QR key again"
grep -qE "^theme = [\"']high-contrast[\"']" "$conf" || fail "setup lost ui.theme"
grep -qE "^name = [\"']Biblioteket 2[\"']" "$conf" || fail "setup did not change site.name"

# Mistakes are refused and the file is left as it was.
before=$(sha256sum "$conf")
expect_rc 3 "setup with an unknown language" -- "$kioskctl" setup --config "$conf" --languages nb,xx
expect_rc 3 "setup with a bad broker" -- "$kioskctl" setup --config "$conf" --broker http://x
expect_rc 3 "setup with a short PIN" -- sh -c "echo 12 | '$kioskctl' setup --config '$conf' --pin-stdin"
expect_rc 2 "setup with an unknown flag" -- "$kioskctl" setup --config "$conf" --colour red
[ "$before" = "$(sha256sum "$conf")" ] || fail "a refused setup changed the file"

# The first staff member instead of the shared PIN: setup makes the store (the kiosk has not
# run yet) and adds the member; the doctor then counts staff access as set up.
conf2="$work/etc2/kiosk.toml"
state2="$work/state2"
echo 482913 | "$kioskctl" setup --config "$conf2" --broker "$broker" --staff-id 1001 \
  --staff-name "Kari N" --pin-stdin --set store.path="$state2/kiosk.db" --set store.key_file="$state2/store.key" \
  --set print.mac_key_file="$state2/qr-mac.key" >"$work/out" 2>"$work/err" || { fail "setup with a staff member"; cat "$work/out" "$work/err"; }
grep -q "added staff member 1001" "$work/out" || fail "setup did not say it added the member"
grep -qE "^pin_hash = [\"'][\"']" "$conf2" || fail "setup with a staff member set the shared PIN"
grep -q '482913' "$conf2" "$state2/kiosk.db" && fail "the member's PIN is stored in clear text"
expect_rc 0 "staff list after setup" -- "$kioskctl" staff list --config "$conf2" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["id"] for m in d["members"]] == ["1001"], d' \
  "$work/out" || fail "the member added by setup is not listed"
# Everything the kiosk itself needs is in place after this setup (the QR key included).
expect_rc 0 "doctor with a staff member" -- "$kioskctl" doctor --json --config "$conf2" --skip-devices --skip-broker
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=[c for c in d["checks"] if c["id"] == "staff"];
assert s and s[0]["status"] == "ok" and "1 staff member" in s[0]["message"], s' "$work/out" ||
  fail "doctor does not count the staff member as staff access"
expect_rc 2 "setup with a staff number but no name" -- sh -c "echo 482913 | '$kioskctl' setup --config '$conf2' --staff-id 1002 --pin-stdin"
expect_rc 3 "setup with a staff member and a short PIN" -- sh -c \
  "echo 12 | '$kioskctl' setup --config '$conf2' --staff-id 1002 --staff-name OP --pin-stdin"
expect_rc 3 "setup with a staff number already in use" -- sh -c \
  "echo 135790 | '$kioskctl' setup --config '$conf2' --staff-id 1001 --staff-name OP --pin-stdin"
grep -q "already in use" "$work/err" || fail "a number in use is not said: $(cat "$work/err")"
# A store that cannot be opened (its folder is a file) is not the admin's typing: exit 4.
expect_rc 4 "setup with a staff member and a store that cannot be opened" -- sh -c \
  "echo 135790 | '$kioskctl' setup --config '$work/etc3/kiosk.toml' --staff-id 1003 --staff-name OP --pin-stdin \
   --set store.path='$work/usb/broker-client.pem/kiosk.db' --set store.key_file='$work/state3/store.key' \
   --set print.mac_key_file='$work/state3/qr-mac.key'"
[ -e "$work/etc3/kiosk.toml" ] && fail "a setup whose member was not added wrote its file"

# A one-time screen code for the on-screen setup of a kiosk in use: printed once, kept hashed.
expect_rc 0 "setup --screen-code" -- "$kioskctl" setup --screen-code --valid-minutes 10 --config "$conf"
code=$(sed -n 's/^Screen code: \([0-9]\{5\}\) \([0-9]\{5\}\)$/\1\2/p' "$work/out")
[ ${#code} -eq 10 ] || fail "setup --screen-code printed no 10-digit code: $(cat "$work/out")"
[ -f "$work/etc/setup-screen-code" ] || fail "no screen code file beside the configuration"
grep -q "$code" "$work/etc/setup-screen-code" && fail "the screen code is kept in clear text"
expect_rc 3 "setup --screen-code valid for 0 minutes" -- "$kioskctl" setup --screen-code --valid-minutes 0 --config "$conf"
expect_rc 2 "setup --screen-code with other setup flags" -- "$kioskctl" setup --screen-code --site-name X --config "$conf"
rm -f "$work/etc/setup-screen-code"

# keys: the QR key ring. list shows ids and roles, never key bytes; rotate-qr keeps the old key.
expect_rc 0 "keys list" -- "$kioskctl" keys list --config "$conf"
first_id=$(awk '$2 == "current" {print $1}' "$work/out")
[ ${#first_id} -eq 8 ] || fail "keys list shows no current key id: $(cat "$work/out")"
python3 - "$work/state/qr-mac.key" "$work/out" <<'PY' || fail "keys list shows key bytes"
import sys
key, out = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
sys.exit(1 if key in out or key.hex().encode() in out else 0)
PY
expect_rc 0 "keys rotate-qr" -- "$kioskctl" keys rotate-qr --config "$conf"
grep -q "previous key $first_id is kept" "$work/out" || fail "rotate-qr does not name the kept key: $(cat "$work/out")"
expect_rc 0 "keys list --json after a rotation" -- "$kioskctl" keys list --json --config "$conf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["qr_keys"]; r=[(k["role"], k["id"]) for k in d];
assert r[0][0] == "current" and r[0][1] != sys.argv[2] and ("previous", sys.argv[2]) in r, r' "$work/out" "$first_id" ||
  fail "after rotate-qr the old key is not listed as previous"
[ "$(stat -c %a "$work/state/qr-keys/previous-$first_id.key")" = 600 ] || fail "the previous key is not 0600"
# An operator key, by file and from a certificate folder; a file too short is refused.
mkdir -p "$work/usb2" && head -c 32 /dev/urandom > "$work/usb2/qr-operator.key"
expect_rc 0 "setup --certs-from with only an operator QR key" -- "$kioskctl" setup --config "$conf" --certs-from "$work/usb2" --cert-dir "$work/state/certs"
grep -q "imported the operator QR code key" "$work/out" || fail "setup did not import qr-operator.key: $(cat "$work/out")"
expect_rc 0 "keys list with an operator key" -- "$kioskctl" keys list --config "$conf"
grep -qE '^  [0-9a-f]{8}  operator ' "$work/out" || fail "the operator key is not listed: $(cat "$work/out")"
printf 'short' > "$work/short.key"
expect_rc 3 "keys import-qr of a short file" -- "$kioskctl" keys import-qr "$work/short.key" --config "$conf"
expect_rc 3 "keys import-qr of the kiosk's own key" -- "$kioskctl" keys import-qr "$work/state/qr-mac.key" --config "$conf"
expect_rc 2 "keys import-qr without a file" -- "$kioskctl" keys import-qr --config "$conf"

# doctor: one line per check, failures with a fix, exit 1; --json for monitoring.
expect_rc 1 "doctor on a fresh temp install" -- "$kioskctl" doctor --config "$conf" --skip-devices --timeout-ms 500
lines=$(grep -cE '^(ok|warning|failed|skipped) ' "$work/out")
[ "$lines" -eq 18 ] || { fail "doctor printed $lines check lines, expected 18"; cat "$work/out"; }
grep -q '^ok      QR code keys: The current key [0-9a-f]\{8\} .* 1 previous and 1 operator key(s)' "$work/out" ||
  fail "doctor does not report the QR key ring: $(grep 'QR code' "$work/out")"
grep -q '^ok      Printing: ' "$work/out" || fail "doctor does not report where printing goes"
grep -q '^ok      On-screen setup code: No one-time setup code is waiting' "$work/out" || fail "doctor screen code line"
grep -q '^failed  Store encryption key: .* Fix: ' "$work/out" || fail "missing key not reported with a fix"
grep -q '^failed  Message broker: Cannot reach' "$work/out" || fail "broker not reported"
expect_rc 1 "doctor --json" -- "$kioskctl" doctor --json --config "$conf" --skip-devices --skip-broker
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is False and len(d["checks"]) == 18, d' \
  "$work/out" || fail "doctor --json is not the expected JSON"
expect_rc 2 "doctor with a bad flag" -- "$kioskctl" doctor --min-free-mb lots
# A QR key others can read fails; a pending screen code and print_to_folder are warnings.
chmod 644 "$work/state/qr-keys/previous-$first_id.key"
"$kioskctl" setup --screen-code --valid-minutes 5 --config "$conf" >/dev/null 2>&1 || fail "setup --screen-code"
"$kioskctl" setup --config "$conf" --set ui.print_to_folder="$work/pdf" >/dev/null 2>&1 || fail "setup print_to_folder"
"$kioskctl" doctor --config "$conf" --skip-devices --skip-broker >"$work/out" 2>&1
grep -q "^failed  QR code keys: .*previous-$first_id.key can be read by others" "$work/out" ||
  fail "a readable QR key is not failed: $(grep 'QR code' "$work/out")"
grep -q '^warning On-screen setup code: A one-time setup code' "$work/out" || fail "a pending screen code is not a warning"
grep -q '^warning Printing: ui.print_to_folder is set' "$work/out" || fail "print_to_folder is not flagged"
rm -f "$work/etc/setup-screen-code"

# admin undelivered counts the outbox (0 without a store).
expect_rc 0 "admin undelivered" -- "$kioskctl" admin undelivered --config "$conf"
[ "$(cat "$work/out")" = 0 ] || fail "undelivered without a store is $(cat "$work/out")"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "kioskctl admin commands behave"

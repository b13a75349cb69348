#!/usr/bin/env bash
# kioskctl config example | config check | setup | doctor | admin undelivered, as an admin
# types them, against temp files.   cli-test.sh KIOSKCTL
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
  --set ui.theme=high-contrast --set store.path="$work/state/kiosk.db" >"$work/out" 2>"$work/err" ||
  { fail "setup"; cat "$work/out" "$work/err"; }
[ "$(stat -c %a "$conf")" = 640 ] || fail "config mode is $(stat -c %a "$conf")"
grep -qE "^pin_hash = [\"']\\\$argon2id\\\$" "$conf" || fail "no Argon2id PIN hash in $conf"
grep -q '246810' "$conf" && fail "the PIN is in the file in clear text"
grep -qE "^tls_client_key = [\"']$work/state/certs/broker-client.key[\"']" "$conf" || fail "client key not configured"
[ "$(stat -c %a "$work/state/certs/broker-client.key")" = 600 ] || fail "imported key is not 0600"
expect_rc 0 "config check of the setup result" -- "$kioskctl" config check --config "$conf"
grep -qE "^default_language = [\"']nn[\"']" "$conf" || fail "default language not written"
# A second run changes one key and keeps the rest.
"$kioskctl" setup --config "$conf" --site-name "Biblioteket 2" >/dev/null 2>&1 || fail "second setup"
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
  >"$work/out" 2>"$work/err" || { fail "setup with a staff member"; cat "$work/out" "$work/err"; }
grep -q "added staff member 1001" "$work/out" || fail "setup did not say it added the member"
grep -qE "^pin_hash = [\"'][\"']" "$conf2" || fail "setup with a staff member set the shared PIN"
grep -q '482913' "$conf2" "$state2/kiosk.db" && fail "the member's PIN is stored in clear text"
expect_rc 0 "staff list after setup" -- "$kioskctl" staff list --config "$conf2" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["id"] for m in d["members"]] == ["1001"], d' \
  "$work/out" || fail "the member added by setup is not listed"
expect_rc 1 "doctor with a staff member" -- "$kioskctl" doctor --json --config "$conf2" --skip-devices --skip-broker
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
   --set store.path='$work/usb/broker-client.pem/kiosk.db' --set store.key_file='$work/state3/store.key'"
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

# doctor: one line per check, failures with a fix, exit 1; --json for monitoring.
expect_rc 1 "doctor on a fresh temp install" -- "$kioskctl" doctor --config "$conf" --skip-devices --timeout-ms 500
lines=$(grep -cE '^(ok|warning|failed|skipped) ' "$work/out")
[ "$lines" -eq 14 ] || { fail "doctor printed $lines check lines, expected 14"; cat "$work/out"; }
grep -q '^failed  Store encryption key: .* Fix: ' "$work/out" || fail "missing key not reported with a fix"
grep -q '^failed  Message broker: Cannot reach' "$work/out" || fail "broker not reported"
expect_rc 1 "doctor --json" -- "$kioskctl" doctor --json --config "$conf" --skip-devices --skip-broker
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is False and len(d["checks"]) == 14, d' \
  "$work/out" || fail "doctor --json is not the expected JSON"
expect_rc 2 "doctor with a bad flag" -- "$kioskctl" doctor --min-free-mb lots

# admin undelivered counts the outbox (0 without a store).
expect_rc 0 "admin undelivered" -- "$kioskctl" admin undelivered --config "$conf"
[ "$(cat "$work/out")" = 0 ] || fail "undelivered without a store is $(cat "$work/out")"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "kioskctl admin commands behave"

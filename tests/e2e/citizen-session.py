#!/usr/bin/env python3
"""A citizen's session on the real kiosk window, with real pointer events (xdotool).

The kiosk writes the widgets of each frame it draws to KIOSK_UI_PROBE (ids and rectangles,
never texts); this script finds a button there and clicks its middle in the real X window,
as a finger would. Used by installed-kiosk.sh; it prints each step and exits non-zero with a
plain reason when the kiosk does not show what a person would need next.

  citizen-session.py --probe FILE --printer-dir DIR --glass FILE --form ID --category C
                     --identity NUMBER --name NAME [--fill-sheet-config FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import time

WINDOW_NAME = "^Helsenorge kiosk$"


class KioskGone(Exception):
    pass


class Driver:
    def __init__(self, probe):
        self.probe = probe
        self.window = None

    def frame(self):
        try:
            with open(self.probe, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait(self, what, condition, timeout=30.0):
        """Waits until condition(frame) holds; returns the frame."""
        until = time.monotonic() + timeout
        last = None
        while time.monotonic() < until:
            last = self.frame()
            if last is not None and condition(last):
                return last
            time.sleep(0.1)
        ids = sorted(w["id"] for w in (last or {}).get("widgets", []))
        raise SystemExit(f"FAIL: waited {timeout:.0f} s for {what}; the screen is "
                         f"{(last or {}).get('screen', '(nothing drawn)')} with {ids}")

    @staticmethod
    def ids(frame):
        return {w["id"] for w in frame["widgets"]}

    def has(self, widget_id):
        frame = self.frame()
        return frame is not None and widget_id in self.ids(frame)

    def screen(self):
        frame = self.frame()
        return frame["screen"] if frame else ""

    def settle(self, before):
        """Waits for frames after `before` to stop changing (the tap was taken and drawn)."""
        until = time.monotonic() + 5
        seen = before
        quiet_since = time.monotonic()
        while time.monotonic() < until:
            frame = self.frame()
            n = frame["frame"] if frame else seen
            if n != seen:
                seen, quiet_since = n, time.monotonic()
            elif n != before and time.monotonic() - quiet_since > 0.4:
                return
            time.sleep(0.05)

    def tap(self, widget_id, timeout=20.0):
        frame = self.wait(f'the button "{widget_id}"', lambda f: widget_id in self.ids(f), timeout)
        w = next(w for w in frame["widgets"] if w["id"] == widget_id)
        x, y = int(w["x"] + w["w"] / 2), int(w["y"] + w["h"] / 2)
        if self.window is None:
            self.window = subprocess.run(["xdotool", "search", "--sync", "--name", WINDOW_NAME], check=True,
                                         capture_output=True, text=True, timeout=30).stdout.split()[0]
        subprocess.run(["xdotool", "mousemove", "--window", self.window, str(x), str(y), "click", "1"], check=True,
                       timeout=10)
        self.settle(frame["frame"])

    def try_tap(self, widget_id):
        if self.has(widget_id):
            self.tap(widget_id)
            return True
        return False

    def tap_paged(self, widget_id):
        """Turns the pages of choices ("more") until the button shows."""
        for _ in range(8):
            if self.try_tap(widget_id):
                return
            if not self.try_tap("choice.more"):
                break
        self.tap(widget_id, timeout=2)

    def type(self, text):
        for ch in text:
            key = "space" if ch == " " else ch.lower()
            self.tap("key." + key)


def step(text):
    print(f"-- {time.strftime('%H:%M:%S')} {text}", flush=True)


def is_pdf(path):
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def newest_printed(directory, known):
    """The newest PDF that came out of the printer during this session (not the admin's test page)."""
    files = [os.path.join(directory, f) for f in os.listdir(directory)]
    new = [f for f in files if f not in known and os.path.isfile(f) and is_pdf(f)]
    return max(new, key=os.path.getmtime) if new else None


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--probe", required=True)
    a.add_argument("--printer-dir", required=True)
    a.add_argument("--glass", required=True)
    a.add_argument("--form", required=True)
    a.add_argument("--category", required=True)
    a.add_argument("--identity", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--fill-sheet", default="kiosk-demo")
    a.add_argument("--config", default="/etc/helsenorge-kiosk/kiosk.toml")
    a.add_argument("--resume-printer", help="the printer is stopped: this command starts it again")
    args = a.parse_args()
    d = Driver(args.probe)
    # What the printer held before this session (the admin's test page): not the citizen's form.
    known = set(os.path.join(args.printer_dir, f) for f in os.listdir(args.printer_dir))

    step("the start screen")
    d.wait("the start screen", lambda f: "choice.language.nb" in Driver.ids(f), timeout=90)
    d.tap("choice.language.nb")
    d.tap_paged("choice.category." + args.category)
    d.tap("choice.self")
    if d.has("choice.form." + args.form) or d.has("choice.more"):
        d.tap_paged("choice.form." + args.form)
    step("the form in one sentence: fill it in here")
    d.tap("choice.fill-in")
    answered = 0
    while d.screen() == "question" and answered < 20:
        ids = Driver.ids(d.frame())
        before = d.frame()["frame"]
        if "key.0" in ids and "key.a" not in ids:
            step("a number on the digit pad")
            d.type(args.identity)
            d.tap("choice.next")
        elif "key.a" in ids:
            step("a name on the keyboard")
            d.type(args.name)
            d.tap("choice.next")
        elif "choice.option.yes" in ids:
            step("a choice: yes")
            d.tap("choice.option.yes")
        elif "choice.yes" in ids:
            step("a yes/no question: yes")
            d.tap("choice.yes")
        elif "choice.next" in ids:
            d.tap("choice.next")
        else:
            raise SystemExit(f"FAIL: a question the script cannot answer: {sorted(ids)}")
        answered += 1
        if d.frame()["frame"] == before:
            raise SystemExit("FAIL: the kiosk did not react to the answer")
    step(f"answered {answered} question(s); the kiosk prints (screen {d.screen()})")
    if d.has("choice.print"):
        d.tap("choice.print")
    if args.resume_printer:
        # The printer is stopped (cupsdisable): nothing comes out, the kiosk waits on the print
        # screen without a way forward (and does not crash); once started again, it prints.
        time.sleep(6)
        if newest_printed(args.printer_dir, known) is not None:
            raise SystemExit("FAIL: a stopped printer printed")
        if d.screen() != "print" or d.has("choice.next"):
            raise SystemExit(f"FAIL: with the printer stopped the kiosk shows {d.screen()} {sorted(Driver.ids(d.frame()))}")
        step("the printer is stopped: nothing printed, the kiosk waits; starting the printer again")
        subprocess.run(args.resume_printer, shell=True, check=True, timeout=30)
    until = time.monotonic() + 120
    printed = None
    while time.monotonic() < until and printed is None:
        printed = newest_printed(args.printer_dir, known)
        time.sleep(0.5)
    if printed is None:
        raise SystemExit(f"FAIL: nothing came out of the printer within 120 s (screen {d.screen()})")
    time.sleep(1)  # the printer writes the file while it receives it
    step(f"the printer printed {os.path.basename(printed)}; signing it with a pen, laying it on the glass")
    tmp = args.glass + ".new"
    subprocess.run([args.fill_sheet, "fill-sheet", "--pdf", printed, "--form", args.form, "--out", tmp, "--config",
                    args.config], check=True, timeout=120)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.glass)
    d.wait("the kiosk to show where to sign (the print finished)", lambda f: "choice.next" in Driver.ids(f), 120)
    d.tap("choice.next")
    step("scan")
    d.tap("choice.scan")
    d.wait("what the kiosk read", lambda f: f["screen"] in ("review", "receipt") or "choice.send" in Driver.ids(f),
           180)
    confirmed = 0
    while d.has("choice.correct") and confirmed < 30:
        d.tap("choice.correct")
        confirmed += 1
    step(f"confirmed {confirmed} value(s) the kiosk was unsure of; send")
    d.tap("choice.send")
    d.wait("the receipt", lambda f: f["screen"] == "receipt", 120)
    step("the receipt is shown")
    d.tap("nav.start-over", timeout=30)
    d.wait("the start screen again", lambda f: "choice.language.nb" in Driver.ids(f), 30)
    step("started over: the session is wiped")


if __name__ == "__main__":
    main()

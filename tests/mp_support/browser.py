"""Headless Chromium, driven through the DevTools protocol (the `browser` fixture's).

The browser runs with `--remote-debugging-pipe` (file descriptors 3 and 4,
messages ended by NUL), with a client written with the standard library only.
It opens the written pages from the file system, then reports JavaScript
exceptions, console and log errors, network requests, and what bokeh drew on
its canvases.
"""
from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: longest a browser step may take before the test fails (a guard, not a measure)
BROWSER_DEADLINE = 30.0


# -- the browser ---------------------------------------------------------------


def _high_fd(fd: int) -> int:
    """A copy of fd numbered 10 or more (so it cannot collide with 3 and 4)."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


_TRAMPOLINE = """\
import os, sys
cmd_r, resp_w = int(sys.argv[1]), int(sys.argv[2])
os.dup2(cmd_r, 3)
os.dup2(resp_w, 4)
os.close(cmd_r)
os.close(resp_w)
os.execv(sys.argv[3], sys.argv[3:])
"""


class Browser:
    """Headless Chromium and one page, driven through the DevTools pipe."""

    def __init__(self, exe: str, workdir: Path) -> None:
        self.stderr_path = workdir / "chromium-stderr.log"
        cmd_r, cmd_w = (_high_fd(fd) for fd in os.pipe())
        resp_r, resp_w = (_high_fd(fd) for fd in os.pipe())
        args = [
            exe, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--disable-extensions", "--disable-sync",
            "--no-first-run", "--no-default-browser-check", "--mute-audio",
            f"--user-data-dir={workdir / 'profile'}", "--remote-debugging-pipe",
            "--window-size=1200,1000", "--force-device-scale-factor=1",
            "--enable-logging=stderr", "--v=0", "about:blank",
        ]
        # A tiny Python trampoline maps our pipe ends to the descriptors
        # Chromium reads (3) and writes (4), then becomes Chromium (no
        # preexec_fn: it is unsafe in a process with threads).
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(cmd_r), str(resp_w), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, pass_fds=(cmd_r, resp_w),
                start_new_session=True)
        os.close(cmd_r)
        os.close(resp_w)
        self._out = cmd_w
        self._in = resp_r
        self._messages: queue.Queue[dict | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0
        self.events: list[dict] = []
        self.session_id = self._attach()

    # -- protocol ----------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._messages.put(None)
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def _next(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"Chromium did not answer in time{self.stderr_tail()}")
        try:
            message = self._messages.get(timeout=remaining)
        except queue.Empty:
            raise AssertionError(f"Chromium did not answer in time{self.stderr_tail()}") from None
        if message is None:
            raise AssertionError(f"Chromium closed its DevTools pipe "
                                 f"(exit code {self.proc.poll()}){self.stderr_tail()}")
        return message

    def call(self, method: str, params: dict | None = None, *, page: bool = True) -> dict:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if page:
            request["sessionId"] = self.session_id
        os.write(self._out, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + BROWSER_DEADLINE
        while True:
            message = self._next(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise AssertionError(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + BROWSER_DEADLINE
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            message = self._next(deadline)
            if message.get("method") == method:
                return message
            self.events.append(message)

    def _attach(self) -> str:
        targets = self.call("Target.getTargets", page=False)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if pages:
            target_id = pages[0]["targetId"]
        else:
            target_id = self.call("Target.createTarget", {"url": "about:blank"},
                                  page=False)["targetId"]
        return self.call("Target.attachToTarget", {"targetId": target_id, "flatten": True},
                         page=False)["sessionId"]

    # -- pages ---------------------------------------------------------------

    def open(self, path: Path) -> "PageLoad":
        """Load a file, wait for its load event, keep what happened meanwhile."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_event("Page.loadEventFired")
        return PageLoad(self)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluating {expression[:60]!r} failed: "
                                 f"{result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Evaluate until the value is truthy (fails after the deadline)."""
        deadline = time.monotonic() + BROWSER_DEADLINE
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never {what}{self.stderr_tail()}")
            time.sleep(0.05)

    def stderr_tail(self) -> str:
        try:
            lines = self.stderr_path.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            return ""
        return "\nChromium's stderr ends with:\n" + "\n".join(lines) if lines else ""

    def close(self) -> None:
        try:
            self.call("Browser.close", page=False)
        except AssertionError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
            self.proc.wait()
        finally:
            # Chromium's helpers (zygote, renderers) live in its process group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            os.close(self._out)
            self._reader.join(timeout=5)
            os.close(self._in)


class PageLoad:
    """What the browser reported while a page loaded (and until now)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    def _events(self, method: str) -> list[dict]:
        self.browser.evaluate("0")  # drain the pipe up to now
        return [e["params"] for e in self.browser.events if e.get("method") == method]

    def errors(self) -> list[str]:
        found = []
        for params in self._events("Runtime.exceptionThrown"):
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            found.append(f"uncaught exception: {text}")
        for params in self._events("Runtime.consoleAPICalled"):
            if params["type"] in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", "")))
                                for a in params["args"])
                found.append(f"console.{params['type']}: {args}")
        for params in self._events("Log.entryAdded"):
            entry = params["entry"]
            if entry["level"] == "error":
                found.append(f"log error ({entry['source']}): {entry['text']} {entry.get('url', '')}")
        return found

    def requested_urls(self) -> list[str]:
        return [p["request"]["url"] for p in self._events("Network.requestWillBeSent")]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None

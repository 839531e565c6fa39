"""Start, wait for and stop the web app's Streamlit server (used by the CLI, tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gridshare.app import APP_DIR

MAIN = APP_DIR / "main.py"
"""The app's entry script."""


class ServerError(RuntimeError):
    """The Streamlit server exited or did not become healthy in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def streamlit_command(port: int, host: str = "localhost", headless: bool = True,
                      watch_files: bool = True) -> list[str]:
    """The ``streamlit run`` command line serving the app on ``host:port`` without usage stats.

    Examples
    --------
    >>> streamlit_command(8502)[-6:]
    ['--server.address', 'localhost', '--server.headless', 'true', '--browser.gatherUsageStats', 'false']
    """
    command = [sys.executable, "-m", "streamlit", "run", str(MAIN), "--server.port", str(port),
               "--server.address", host, "--server.headless", str(headless).lower(),
               "--browser.gatherUsageStats", "false"]
    if not watch_files:
        command += ["--server.fileWatcherType", "none"]
    return command


def start(port: int, log: str | Path, host: str = "127.0.0.1", timeout_s: float = 60.0,
          cwd: str | Path | None = None) -> subprocess.Popen:
    """Start the app in its own process group and return once ``/_stcore/health`` answers.

    Parameters
    ----------
    port : int
        TCP port.
    log : str or Path
        File that receives the server's stdout and stderr.
    host : str
        Address to bind.
    timeout_s : float
        How long to wait for the health check, s.
    cwd : str or Path, optional
        Working directory of the server.

    Raises
    ------
    ServerError
        The server exited, or was not healthy within ``timeout_s`` (it is stopped first).
    """
    with open(log, "wb") as out:
        server = subprocess.Popen(streamlit_command(port, host, watch_files=False), cwd=cwd,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerError(f"streamlit exited with code {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise ServerError(f"streamlit did not answer /_stcore/health within {timeout_s:.0f} s; see {log}")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its whole process group (SIGTERM, then SIGKILL after 15 s)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)

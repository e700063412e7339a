"""``abm app``: serve the browser app (``abm.app:page``) with Solara, fully offline.

The page's front-end assets (Vue, Vuetify, fonts, the grid layout) come from the
``solara-assets`` package, which installs them under ``<prefix>/share/solara/cdn``; Solara's
asset proxy serves them from there at ``/_solara/cdn/``. The browser never contacts another
host. So that the server does not either, the upstream CDN is pointed at an address that
refuses connections (set ``SOLARA_ASSETS_CDN`` to override), and Solara's usage telemetry and
version check are off.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
APP = "abm.app:page"

#: Used for assets missing from the local copy: a closed local port, so nothing leaves the host.
OFFLINE_CDN = "http://127.0.0.1:9/npm/"

#: How long a session whose page disconnected without closing is kept for a reconnect.
KERNEL_CULL_TIMEOUT = "5m"

#: Files the page needs from ``solara-assets`` (glob patterns under the asset directory).
REQUIRED_ASSETS = (
    "@widgetti/solara-vuetify-app@*/dist/*.min.js",
    "requirejs@*/require.js",
    "@widgetti/vue-grid-layout@*/dist/vue-grid-layout.umd.js",
)


def offline_environment(environ: dict | None = None) -> dict:
    """Solara settings for serving without internet, as environment variables.

    Values already set in ``environ`` are kept, so a user can still choose another CDN.
    """
    env = dict(os.environ if environ is None else environ)
    env.setdefault("SOLARA_ASSETS_PROXY", "true")
    env.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    env.setdefault("SOLARA_THEME_LOADER", "plain")
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    return env


def asset_dir() -> Path:
    """Where ``solara-assets`` puts the front-end files (Solara's proxy cache directory)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def missing_assets(root: Path | None = None) -> list[str]:
    """Required front-end files that are not installed locally."""
    root = asset_dir() if root is None else root
    return [pattern for pattern in REQUIRED_ASSETS if not any(root.glob(pattern))]


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run the Solara server for the page until interrupted (Ctrl-C); return an exit code."""
    os.environ.update(offline_environment())
    import solara.server.settings as server_settings
    import solara.settings

    # Settings may have been read before the environment was set (e.g. in a notebook).
    solara.settings.assets.proxy = True
    solara.settings.assets.cdn = os.environ["SOLARA_ASSETS_CDN"]
    server_settings.telemetry.mixpanel_enable = False
    server_settings.assets.proxy_cache_dir = asset_dir()
    # a session whose page went away without closing (sleep, lost network) is ended after
    # this time, which frees its model; a closed tab ends its session at once
    server_settings.kernel.cull_timeout = os.environ["SOLARA_KERNEL_CULL_TIMEOUT"]

    from solara.__main__ import run

    # Solara warns on every page load from a host other than "localhost" (e.g. 127.0.0.1)
    # that it cannot set a cross-site cookie; that only matters when embedded in an iframe.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)

    print(f"abm app: serving http://{host}:{port}/ (press Ctrl-C to stop)", flush=True)
    argv = [
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level-uvicorn",
        "warning",
    ]
    import click

    # Ctrl-C stops uvicorn, which re-raises it; click turns it into Abort.
    with contextlib.suppress(KeyboardInterrupt, click.exceptions.Abort):
        run.main(args=argv, prog_name="abm app", standalone_mode=False)
    print("abm app: stopped", flush=True)
    return 0


PORT_HELP = "an integer in [0, 65535] (0: a free port chosen by the system)"


def port_number(text: str | int) -> int:
    """``--port`` as an integer in [0, 65535], or ``ValueError`` with a one-line message."""
    try:
        port = int(text)
    except (TypeError, ValueError):
        port = None
    if port is None or not 0 <= port <= 65535:
        raise ValueError(f"--port {text!r} is not allowed; allowed: {PORT_HELP}")
    return port


def host_name(text: str) -> str:
    """``--host`` as given, or ``ValueError`` if empty (which would mean every interface)."""
    if not str(text).strip():
        raise ValueError(
            f"--host {text!r} is not allowed; allowed: an address or name of this machine, "
            "e.g. 127.0.0.1, or 0.0.0.0 for every interface"
        )
    return str(text).strip()


def check_listen(host: str, port: int) -> tuple[int | None, str]:
    """Try to listen on ``host``:``port``; return the port (the one chosen for 0) and ``""``,
    or ``None`` and a one-line reason that names the host or the port, whichever is at fault."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return None, f"cannot use --host {host!r}: not an address or known name ({reason})"
    family, _, _, _, address = infos[0]
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address[:2] if family == socket.AF_INET else address)
            sock.listen()
            return sock.getsockname()[1], ""
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return None, f"port {port} on {host} is in use; choose another with --port"
        if exc.errno == errno.EACCES:
            return None, f"no permission to listen on port {port}; use a port above 1023"
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            return None, f"cannot use --host {host!r}: not an address of this machine"
        return None, f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def cmd_app(args) -> int:
    from abm.extras import require

    require("app")  # before anything else: one line naming the extra when it is missing
    try:
        host, port = host_name(args.host), port_number(args.port)
    except ValueError as exc:
        print(f"abm app: error: {exc}", file=sys.stderr)
        return 2
    listening, problem = check_listen(host, port)
    if listening is None:
        print(f"abm app: error: {problem}", file=sys.stderr)
        return 2
    missing = missing_assets()
    if missing:
        print(
            "abm app: error: front-end assets missing under "
            f"{asset_dir()}: {', '.join(missing)}. Install the 'solara-assets' package.",
            file=sys.stderr,
        )
        return 2
    return serve(host, listening)


def register(subparsers) -> None:
    """Add the ``app`` subcommand to the ``abm`` command."""
    p = subparsers.add_parser(
        "app",
        help="serve the interactive browser app (Mesa SolaraViz)",
        description="Serve the browser app for exploring the model: preset, policy and size "
        "controls; the cluster network, structure, trade, emissions and government views; a "
        "comparison of two presets and a CSV download of the run. Works offline: all "
        "front-end assets are served locally.",
    )
    p.add_argument(
        "--port",
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0: a free port, printed at start)",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"interface to listen on (default {DEFAULT_HOST}; 0.0.0.0 for all)",
    )
    p.set_defaults(func=cmd_app)

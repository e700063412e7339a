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


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` on ``host`` can be listened on."""
    import socket

    try:
        with socket.create_server((host, port)):
            return True
    except OSError:
        return False


def cmd_app(args) -> int:
    if not port_free(args.host, args.port):
        print(
            f"abm app: error: cannot listen on {args.host}:{args.port} (in use?); "
            "choose another with --port",
            file=sys.stderr,
        )
        return 2
    missing = missing_assets()
    if missing:
        print(
            "abm app: error: front-end assets missing under "
            f"{asset_dir()}: {', '.join(missing)}. Install the 'solara-assets' package.",
            file=sys.stderr,
        )
        return 2
    return serve(args.host, args.port)


def register(subparsers) -> None:
    """Add the ``app`` subcommand to the ``abm`` command."""
    p = subparsers.add_parser(
        "app",
        help="serve the interactive browser app (Mesa SolaraViz)",
        description="Serve the browser app for exploring the model: scenario and policy "
        "controls, the cluster network, structure, trade, emissions and government views. "
        "Works offline: all front-end assets are served locally.",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"interface to listen on (default {DEFAULT_HOST}; 0.0.0.0 for all)",
    )
    p.set_defaults(func=cmd_app)

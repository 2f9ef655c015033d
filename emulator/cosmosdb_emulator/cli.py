"""``cosmosdb-emulator`` command line.

Usage: ``cosmosdb-emulator --host 127.0.0.1 --port 8081 --data PATH [--partitions N] [--key KEY]
[--tls]``. Without ``--partitions`` each new container gets its physical ranges from its
throughput, as in the service.
On start it prints exactly one line to stdout, flushed:
``cosmosdb-emulator listening on http://HOST:PORT/`` (``https`` with ``--tls``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import signal
import sys
import threading
from types import FrameType

from cosmosdb_emulator.app import DEFAULT_KEY, App
from cosmosdb_emulator.server import make_server
from cosmosdb_emulator.storage import StorageError, Store
from cosmosdb_emulator.ttl import Sweeper

DEFAULT_DATA = "./cosmosdb-emulator.sqlite"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by tests)."""
    parser = argparse.ArgumentParser(
        prog="cosmosdb-emulator",
        description="Local SQLite-backed server speaking the Azure Cosmos DB (NoSQL) HTTP protocol.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8081, help="port; 0 picks a free one (default 8081)"
    )
    parser.add_argument(
        "--data", default=DEFAULT_DATA, help=f"SQLite file, or :memory: (default {DEFAULT_DATA})"
    )
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="N",
        help=(
            "physical ranges for every new container, overriding the default: like the service,"
            " one range per 10,000 RU/s of the container's (or its shared-throughput database's)"
            " manual or autoscale-maximum throughput, at least 1"
        ),
    )
    parser.add_argument("--key", default=DEFAULT_KEY, help="account master key (base64)")
    parser.add_argument(
        "--tls", action="store_true", help="serve https with a self-signed certificate"
    )
    return parser


def _install_extensions(app: App) -> None:
    """Attach optional hooks (request charge, throughput, faults, stats) if present."""
    try:
        from cosmosdb_emulator.extensions import install
    except ImportError:
        return
    install(app)


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM.

    Returns:
        Process exit status: 0 after a clean stop, 1 if the data file cannot be opened or the
        address cannot be bound, 2 for bad arguments.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.partitions is not None and args.partitions < 1:
        parser.error("--partitions must be >= 1")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    try:
        base64.b64decode(args.key, validate=True)
    except (binascii.Error, ValueError):
        parser.error("--key must be valid base64")
    try:
        store = Store(args.data)
    except StorageError as exc:
        print(f"cosmosdb-emulator: cannot open --data {args.data!r}: {exc}", file=sys.stderr)
        return 1
    app = App(store=store, key=args.key, partitions=args.partitions)
    _install_extensions(app)
    scheme = "https" if args.tls else "http"
    try:
        server = make_server(app, args.host, args.port, scheme)
    except OSError as exc:
        print(
            f"cosmosdb-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        store.close()
        return 1
    if args.tls:
        from cosmosdb_emulator.tls import wrap_server

        wrap_server(server, args.host)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    display_host = f"[{host}]" if ":" in host else host
    print(f"cosmosdb-emulator listening on {scheme}://{display_host}:{port}/", flush=True)

    def _stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sweeper = Sweeper(store).start()  # time to live
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        sweeper.stop()
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

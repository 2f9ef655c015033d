"""The HTTP transport every client uses (``cosmosdb_shared.client.pooled_transport``).

A real local HTTP server stands in for the account: these tests are about requests' and
urllib3's behaviour, which the emulator cannot show apart from the SDK's.
"""

from __future__ import annotations

import base64
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import urllib3.response

from cosmosdb_shared.client import (
    BODY_READ_BYTES,
    EnvironmentOnceSession,
    LargeReads,
    pooled_transport,
)

BIG = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit, not a multiple of the read size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client may reuse its connection
    seen: t.ClassVar[list[tuple[str, str | None]]] = []
    peers: t.ClassVar[list[tuple[str, int]]] = []

    def do_GET(self) -> None:  # http.server's name
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        type(self).peers.append(self.client_address)
        if self.path.endswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BIG), 200_000):
                part = BIG[start : start + 200_000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BIG)))
        self.end_headers()
        self.wfile.write(BIG)

    def log_message(self, *args: t.Any) -> None:
        pass


@pytest.fixture
def server() -> t.Iterator[str]:
    _Handler.seen = []
    _Handler.peers = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: t.Any) -> t.Any:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "NETRC",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("path", ["/plain", "/chunked"])
def test_bodies_are_read_whole_in_large_chunks(
    server: str, path: str, clean_env: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int | None] = []
    stream = urllib3.response.HTTPResponse.stream

    def recording(self: t.Any, amt: int | None = 2**16, decode_content: t.Any = None) -> t.Any:
        asked.append(amt)
        return stream(self, amt, decode_content)

    monkeypatch.setattr(urllib3.response.HTTPResponse, "stream", recording)
    session = pooled_transport(2).session
    response = session.get(server + path)
    assert response.content == BIG
    assert isinstance(response.raw, LargeReads)
    assert asked
    assert all(a is not None and a >= BODY_READ_BYTES for a in asked), asked
    # The same server through a plain session asks for requests' 10 KiB: the setting matters.
    asked.clear()
    assert requests.Session().get(server + path).content == BIG
    assert asked
    assert max(a or 0 for a in asked) < BODY_READ_BYTES


def test_connection_goes_back_to_the_pool(server: str, clean_env: t.Any) -> None:
    session = pooled_transport(1).session
    for _ in range(3):
        assert session.get(server + "/plain").content == BIG
    # One connection, reused: each body was read to its end and the connection released.
    assert len(set(_Handler.peers)) == 1, _Handler.peers


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "https://acct.documents.azure.com:443/dbs"),
        ({"HTTPS_PROXY": "http://proxy.invalid:3128"}, "https://acct.documents.azure.com/dbs"),
        (
            {"HTTPS_PROXY": "http://proxy.invalid:3128", "NO_PROXY": "acct.documents.azure.com"},
            "https://acct.documents.azure.com/dbs",
        ),
        ({"HTTP_PROXY": "http://proxy.invalid:3128"}, "http://127.0.0.1:8081/dbs"),
        ({"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}, "https://a.b/"),
        ({"CURL_CA_BUNDLE": "/tmp/bundle.pem"}, "https://a.b/"),
    ],
)
def test_environment_settings_equal_requests_own(
    env: dict[str, str], url: str, clean_env: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ours = EnvironmentOnceSession()
    for verify in (True, False, None, "/x.pem"):
        for proxies in ({}, {"https": "http://explicit.invalid:1"}):
            expected = requests.Session().merge_environment_settings(
                url, dict(proxies), False, verify, None
            )
            first = ours.merge_environment_settings(url, dict(proxies), False, verify, None)
            again = ours.merge_environment_settings(url, dict(proxies), False, verify, None)
            assert first == expected
            assert again == expected
            again["proxies"]["mutated"] = "x"  # a caller changing its copy changes no other
            assert ours.merge_environment_settings(url, dict(proxies), False, verify, None) == (
                expected
            )


def test_proxy_from_the_environment_is_used(server: str, clean_env: t.Any, monkeypatch: t.Any):
    # The local server plays the proxy: it receives the absolute URL of the real target.
    monkeypatch.setenv("HTTP_PROXY", server)
    session = pooled_transport(2).session
    for _ in range(2):
        assert session.get("http://account.invalid/dbs/x").content == BIG
    assert [p for p, _ in _Handler.seen] == ["http://account.invalid/dbs/x"] * 2


def test_netrc_is_honoured_and_read_once_per_host(
    server: str, clean_env: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".netrc").write_text("machine 127.0.0.1 login user password secret\n")
    (clean_env / ".netrc").chmod(0o600)
    lookups: list[str] = []
    original = requests.utils.get_netrc_auth

    def counting(url: str, raise_errors: bool = False) -> t.Any:
        lookups.append(url)
        return original(url, raise_errors)

    monkeypatch.setattr(requests.utils, "get_netrc_auth", counting)
    monkeypatch.setattr(requests.sessions, "get_netrc_auth", counting)
    session = pooled_transport(2).session
    for _ in range(3):
        session.get(server + "/plain")
    basic = "Basic " + base64.b64encode(b"user:secret").decode()
    assert [a for _, a in _Handler.seen] == [basic] * 3
    assert len(lookups) == 1
    # requests' own session looks it up on every request (what the cache saves).
    lookups.clear()
    plain = requests.Session()
    for _ in range(3):
        plain.get(server + "/plain")
    assert len(lookups) == 3


def test_no_netrc_entry_sends_no_authorization(server: str, clean_env: t.Any) -> None:
    session = pooled_transport(2).session
    session.get(server + "/plain")
    session.get(server + "/plain", headers={"Authorization": "type=master&sig=x"})
    assert [a for _, a in _Handler.seen] == [None, "type=master&sig=x"]

"""The offline guard itself: reaching the internet from a test must fail loudly."""

from __future__ import annotations

import socket
import threading
import urllib.request

import pytest
from conftest import NetworkBlocked


def test_connect_to_public_address_is_blocked() -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlocked, match="must stay offline"):
        sock.connect(("93.184.216.34", 80))


def test_dns_lookup_of_public_host_is_blocked() -> None:
    with pytest.raises(NetworkBlocked):
        urllib.request.urlopen("http://export.arxiv.org/api/query", timeout=1)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[bool] = []

    def accept() -> None:
        conn, _ = server.accept()
        conn.close()
        accepted.append(True)

    thread = threading.Thread(target=accept)
    thread.start()
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    thread.join(2)
    server.close()
    assert accepted == [True]

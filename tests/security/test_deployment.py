"""The attacker's checklist against the shipped deployment: gunicorn behind nginx running
deploy/nginx/consult.conf, on Redis-shared limits, as docs/operations.md deploys it.

- Slow-header connections (more than gunicorn's threads) do not stall public pages: nginx holds
  them; straight to gunicorn the same connections do stall it (the check has teeth).
- Parallel wrong passwords are counted before they are checked: no more than the limit pass.
- A stranger's guessing does not lock the account's owner out.
- A forged X-Forwarded-For through nginx changes nothing: per-address limits still hold.
- A forged Host header never reaches the app through nginx, and gunicorn refuses it too.
- gunicorn logs once that a request reached it without the proxy's headers.
"""
from __future__ import annotations

import concurrent.futures
import socket
import time

import pytest
import redis

from .deployment import (PASSWORD, SERVER_NAME, STAFF_EMAIL, Browser, Gunicorn, Nginx,
                         nginx_binary, prepare_database)

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(nginx_binary() is None,
                       reason="nginx is not installed (make test installs Debian's nginx)"),
]

DEMO = "police-and-crime-plan-2021-demo"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis at 127.0.0.1:6379 is not reachable; production needs shared limits")
    folder = tmp_path_factory.mktemp("deployment")
    url = prepare_database(folder)
    app = Gunicorn(url, folder)
    proxy = Nginx(app.port, folder)
    # The first answer waits for the worker to start and compile its templates.
    status, page, _ = Browser(proxy.url).request("GET", f"/c/{DEMO}", timeout=30)
    assert status == 200, page[-2000:] + app.log_text()[-3000:]
    yield app, proxy
    proxy.stop()
    app.stop()


def _slow_connections(port: int, count: int) -> list[socket.socket]:
    """Connections that have sent half their headers and then go quiet."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(f"GET / HTTP/1.1\r\nHost: {SERVER_NAME}\r\nX-Slow: ".encode())
        sockets.append(s)
    return sockets


def test_slow_header_connections_do_not_stall_public_pages_behind_nginx(deployment):
    app, proxy = deployment
    slow = _slow_connections(proxy.port, 12)  # gunicorn has 4 threads here
    try:
        time.sleep(0.5)
        started = time.monotonic()
        status, page, _ = Browser(proxy.url).request("GET", f"/c/{DEMO}", timeout=5)
        took = time.monotonic() - started
        assert status == 200 and "Start now" in page
        assert took < 2, f"a public page took {took:.1f} s with 12 slow connections open"
        # The same connections straight to gunicorn take every thread: the page does not come.
        direct = _slow_connections(app.port, 12)
        try:
            time.sleep(0.5)
            with pytest.raises(OSError):  # socket.timeout
                Browser(app.url).request("GET", f"/c/{DEMO}", timeout=2)
        finally:
            for s in direct:
                s.close()
    finally:
        for s in slow:
            s.close()


def _sign_in(browser: Browser, password: str, token: str | None = None):
    token = token or browser.csrf_token("/staff/login")
    status, _, headers = browser.request("POST", "/staff/login", data={
        "email": STAFF_EMAIL, "password": password, "csrf_token": token})
    return status, headers


def test_parallel_wrong_passwords_are_counted_before_they_are_checked(deployment):
    _, proxy = deployment
    owner = Browser(proxy.url, "127.0.0.2")
    assert _sign_in(owner, PASSWORD)[0] == 302  # the owner's browser has signed in before
    owner.cookies.pop("session", None)

    attacker = Browser(proxy.url, "127.0.0.5")
    token = attacker.csrf_token("/staff/login")

    def guess(n: int) -> int:
        status, _, _ = attacker.request("POST", "/staff/login", headers={
            "X-Forwarded-For": f"203.0.113.{n}"},  # forged, and replaced by nginx
            data={"email": STAFF_EMAIL, "password": f"guess {n}", "csrf_token": token})
        return status

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert statuses.count(200) <= 5, statuses  # 200: the password was checked (and wrong)
    assert statuses.count(429) >= 11, statuses

    # Guesses from many other addresses, one after another: the account's wait grows.
    refused = []
    for n in range(6):
        status, headers = _sign_in(Browser(proxy.url, f"127.0.1.{n + 1}"), f"other guess {n}")
        if status == 429:
            refused.append(int(headers["Retry-After"]))
    assert refused and all(r >= 1 for r in refused), refused

    # The owner, from yet another address, is not locked out by any of it.
    owner.source = "127.0.0.3"
    assert _sign_in(owner, PASSWORD)[0] == 302


def test_a_forged_forwarded_for_does_not_dodge_the_resume_code_limit(deployment):
    _, proxy = deployment
    guesser = Browser(proxy.url, "127.0.0.9")
    statuses = []
    for n in range(40):
        status, _, _ = guesser.request("GET", f"/c/{DEMO}/resume/ABCD-EFGH-JKLM-{n:04d}".replace(
            "0", "A").replace("1", "B"), headers={"X-Forwarded-For": f"198.51.100.{n}"})
        statuses.append(status)
        if status == 429:
            break
    assert statuses[-1] == 429 and len(statuses) <= 31, statuses


def test_a_forged_host_never_reaches_the_app(deployment):
    app, proxy = deployment
    with pytest.raises(OSError):  # nginx closes the connection without an answer (444)
        Browser(proxy.url).request("GET", f"/c/{DEMO}", host="evil.example")
    status, page, _ = Browser(app.url).request("GET", f"/c/{DEMO}", host="evil.example")
    assert status == 400 and "Traceback" not in page


def test_a_request_without_the_proxy_headers_is_logged_once(deployment):
    app, proxy = deployment
    assert Browser(proxy.url).request("GET", "/")[0] == 200
    for _ in range(3):
        assert Browser(app.url).request("GET", "/")[0] == 200
    time.sleep(0.2)
    log = app.log_text()
    # Other tests of this module also went straight to gunicorn: still one line in all.
    assert log.count("arrived with no X-Forwarded-For") == 1, log[-2000:]
    assert "[WARNING] consult.proxies: TRUSTED_PROXIES is 1" in log

"""``codemod batch --push`` over http, against a real smart-HTTP git server on 127.0.0.1 (``git
http-backend`` run as CGI for each request, a cookie set on each answer) that records the
requests: the repository's own ``http.*`` settings (cookie files, proxies, TLS checks...) never
reach git."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from codemods.batch_git import canonical

from .conftest import git
from .test_batch import BRANCH, HOIST, batch, make_repo, out, summary
from .test_batch_push import bare, remote_tip

#: a Netscape cookie file line curl sends to 127.0.0.1 (domain, subdomains, path, secure,
#: expiry, name, value)
SECRET = "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tTOPSECRET\n"
VICTIM = "the user's file: never overwritten\n"


@dataclass
class Server:
    url: str
    #: the bare repositories it serves, as ``URL/NAME.git``
    root: Path
    #: each request's path and headers
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def repository(self, name: str) -> tuple[str, Path]:
        return f"{self.url}/{name}.git", bare(self.root, f"{name}.git")


class Backend(BaseHTTPRequestHandler):
    server_state: Server

    def do_GET(self) -> None:
        state = self.server_state
        state.requests.append((self.path, dict(self.headers.items())))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(state.root),
            "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": "t", "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        }  # fmt: skip
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Set-Cookie", "planted=1; Path=/")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    state = Server("", tmp_path / "served")
    state.root.mkdir()
    handler = type("Handler", (Backend,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def pushing_repo(root: Path, server: Server, name: str, config: dict[str, str]) -> Path:
    """A repository whose ``origin`` is a repository of ``server``, with ``config`` set."""
    repo = make_repo(root, name, {"app.py": HOIST})
    git(repo, "remote", "add", "origin", server.repository(name)[0])
    for key, value in config.items():
        git(repo, "config", key, value)
    return repo


def test_the_repository_cannot_make_curl_write_a_cookie_file(
    tmp_path: Path, server: Server
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text(VICTIM, encoding="utf-8")
    config = {"http.saveCookies": "true", "http.cookieFile": str(victim)}
    pushing_repo(tmp_path, server, "svc", config)
    done = batch(tmp_path, "svc", "--push", "origin", "--summary-json", "s.json")
    assert victim.read_text(encoding="utf-8") == VICTIM
    assert server.requests == []
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "push-failed"
    assert record["detail"] == (
        "not pushed: the repository's own git configuration sets http.savecookies (it chooses "
        "where git connects, what it trusts, or files it reads or writes); push it yourself, or "
        "pass --trust-repo-config"
    )
    assert remote_tip(server.root / "svc.git") == ""
    # --trust-repo-config gives git its usual behaviour: the repository's cookie jar is written
    jar = tmp_path / "jar.txt"
    repo = pushing_repo(tmp_path, server, "trusted", {**config, "http.cookieFile": str(jar)})
    args = ["trusted", "--push", "origin", "--trust-repo-config"]
    assert batch(tmp_path, *args).returncode == 0
    assert remote_tip(server.root / "trusted.git") == out(repo, "rev-parse", BRANCH)
    assert "\tplanted\t1" in jar.read_text(encoding="utf-8")


def test_the_repository_cannot_send_a_file_as_cookies(tmp_path: Path, server: Server) -> None:
    secret = tmp_path / "outside-cookies.txt"
    secret.write_text(SECRET, encoding="utf-8")
    pushing_repo(tmp_path, server, "svc", {"http.cookieFile": str(secret)})
    # the command line names the URL: the repository's setting still applies to it
    for target in ("origin", f"{server.url}/svc.git"):
        done = batch(tmp_path, "svc", "--push", target, "--summary-json", "s.json")
        assert not any("TOPSECRET" in str(headers) for _, headers in server.requests)
        assert done.returncode == 3
        assert "configuration sets http.cookiefile (it chooses where git connects" in str(
            summary(tmp_path / "s.json")["svc"]["detail"]
        )
    assert server.requests == []


# key -> value; each in a repository of its own, whose origin is on the server
REFUSED = {
    "http.proxy": "{url}",
    "http.{url}/.proxy": "{url}",
    "http.sslVerify": "false",
    "http.{url}/.sslVerify": "false",
    "http.sslCAInfo": "{tmp}/ca.pem",
    "http.sslCAPath": "{tmp}",
    "http.sslCert": "{tmp}/cert.pem",
    "http.sslKey": "{tmp}/key.pem",
    "http.sslCertPasswordProtected": "true",
    "http.curloptResolve": "example.invalid:80:127.0.0.1",
    "http.followRedirects": "true",
    "http.emptyAuth": "true",
    "http.proactiveAuth": "basic",
    "http.schannelCheckRevoke": "false",
    "http.cookieFile": "{tmp}/cookies.txt",
    "http.postBuffer": "524288000",
    "remote.origin.proxy": "{url}",
    "remote.origin.proxyAuthMethod": "basic",
    "core.gitProxy": "touch {tmp}/gitproxy-ran",
}


def test_each_http_and_proxy_setting_of_the_repository_is_refused_before_git_connects(
    tmp_path: Path, server: Server
) -> None:
    expected: dict[str, str] = {}
    for number, (key, value) in enumerate(REFUSED.items()):
        name = f"r{number}"
        setting = {key.format(url=server.url): value.format(url=server.url, tmp=tmp_path)}
        pushing_repo(tmp_path, server, name, setting)
        expected[name] = canonical(key.format(url=server.url))
    # the same keys from files the repository's configuration includes
    included = tmp_path / "included.gitconfig"
    included.write_text(f"[http]\n\tproxy = {server.url}\n", encoding="utf-8")
    conditional = tmp_path / "conditional.gitconfig"
    conditional.write_text(f'[remote "origin"]\n\tproxy = {server.url}\n', encoding="utf-8")
    pushing_repo(tmp_path, server, "include", {"include.path": str(included)})
    pushing_repo(tmp_path, server, "includeif", {"includeIf.onbranch:main.path": str(conditional)})
    expected |= {"include": "http.proxy", "includeif": "remote.origin.proxy"}
    # kept: what actions/checkout writes, a header sent as it is (nothing read or run)
    header = {f"http.{server.url}/.extraHeader": "AUTHORIZATION: basic dG9rZW4="}
    kept = pushing_repo(tmp_path, server, "header", header)
    args = [*expected, "header", "--push", "origin", "--summary-json", "s.json"]
    done = batch(tmp_path, *args)
    assert {path.split("/")[1] for path, _ in server.requests} == {"header.git"}
    assert all(h.get("AUTHORIZATION") == "basic dG9rZW4=" for _, h in server.requests)
    assert done.returncode == 3
    records = summary(tmp_path / "s.json")
    for name, key in expected.items():
        assert records[name]["status"] == "push-failed", name
        assert str(records[name]["detail"]).startswith(
            f"not pushed: the repository's own git configuration sets {key} ("
        ), records[name]["detail"]
        assert records[name]["commit"] == out(tmp_path / name, "rev-parse", BRANCH)
    assert not (tmp_path / "gitproxy-ran").exists()
    assert (records["header"]["status"], records["header"]["pushed"]) == ("changed", "new branch")
    assert remote_tip(server.root / "header.git") == out(kept, "rev-parse", BRANCH)

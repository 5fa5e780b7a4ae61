"""The cache can neither run code nor write outside its directory (docs/security.md, "Cache and
signals"): a signing key that cannot be trusted is replaced, an entry is decoded without running
anything even when its signature verifies, and nothing under ``.codemod_cache`` is followed
through a symlink."""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import pickle
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from codemods import cache_codec, registry
from codemods.api import run_paths
from codemods.cache import CACHE_DIR_NAME, KEY_BYTES, SCHEMA, Cache
from codemods.project import gather_file
from codemods.types import Change, Failure, FileResult, Options, Safety, Skip

from .conftest import run_cli
from .helpers import write_tree

SOURCE = {"a.py": "def f():\n    import os\n    return os.sep\n", "b.py": "X = 1\n"}


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``$XDG_CACHE_HOME``: the signing key lives in ``<it>/codemod/key``."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def outcome(root: Path, cache_dir: Path | None) -> list[tuple[object, ...]]:
    return [
        (r.path, r.after, r.changes, r.skips, r.failure)
        for r in run_paths([root], Options(), cache_dir=cache_dir, jobs=1)
    ]


class _Plant:
    """Unpickling this creates the directory ``path``: proof that an entry ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.path),)


def forge(db_path: Path, key: bytes, payload: bytes) -> int:
    """Replace every entry's value with ``payload`` signed under ``key``; returns how many."""
    db = sqlite3.connect(db_path)
    with db:
        rows = db.execute("SELECT key FROM entries").fetchall()
        for (name,) in rows:
            mac = hmac.new(key, name.encode() + payload, hashlib.sha256).digest()
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (mac + payload, name))
    db.close()
    return len(rows)


@pytest.mark.parametrize("signing_key", ["left-empty", "the-real-one"])
def test_a_forged_entry_runs_no_code(tmp_path: Path, xdg: Path, signing_key: str) -> None:
    """The issue's attack: a full disk leaves the key file empty, so entries signed with b""
    verify; and, should the key ever leak, a validly signed entry still cannot run code."""
    project, cache_dir, planted = tmp_path / "proj", tmp_path / "cache", tmp_path / "PWNED"
    write_tree(project, SOURCE)
    key_file = xdg / "codemod" / "key"
    if signing_key == "left-empty":
        key_file.parent.mkdir(parents=True)
        key_file.touch(mode=0o600)
    expected = outcome(project, cache_dir)
    key = b"" if signing_key == "left-empty" else key_file.read_bytes()
    payload = pickle.dumps((_Plant(planted),))
    assert forge(cache_dir / f"v{SCHEMA}.sqlite", key, payload) > 0
    assert outcome(project, cache_dir) == expected
    assert not planted.exists()


@pytest.mark.parametrize("bad", ["empty", "short", "readable-by-others", "symlink", "another-user"])
def test_an_untrusted_key_file_is_replaced(tmp_path: Path, xdg: Path, bad: str) -> None:
    key_file = xdg / "codemod" / "key"
    key_file.parent.mkdir(parents=True)
    known = tmp_path / "known-key"  # a key someone else knows, for the symlink
    known.write_bytes(b"k" * KEY_BYTES)
    if bad == "symlink":
        key_file.symlink_to(known)
    else:
        content = {"empty": b"", "short": b"k" * (KEY_BYTES // 2)}.get(bad, b"k" * KEY_BYTES)
        key_file.write_bytes(content)
        key_file.chmod(0o644 if bad == "readable-by-others" else 0o600)
    if bad == "another-user":
        if os.geteuid() != 0:
            pytest.skip("needs root to give the key file to another user")
        os.chown(key_file, 65534, 65534)
    project = tmp_path / "proj"
    write_tree(project, SOURCE)
    expected = outcome(project, None)
    assert outcome(project, tmp_path / "cache") == expected
    info = key_file.lstat()
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.geteuid()
    new_key = key_file.read_bytes()
    assert len(new_key) == KEY_BYTES and new_key != b"k" * KEY_BYTES
    assert known.read_bytes() == b"k" * KEY_BYTES  # a symlink's target is never written
    assert outcome(project, tmp_path / "cache") == expected
    assert key_file.read_bytes() == new_key  # a trusted key is kept
    assert [p.name for p in key_file.parent.iterdir()] == ["key"]  # no temporary file left


def test_a_fifo_as_key_file_does_not_hang(tmp_path: Path) -> None:
    home = tmp_path / "xdg"
    (home / "codemod").mkdir(parents=True)
    os.mkfifo(home / "codemod" / "key", 0o600)
    write_tree(tmp_path / "proj", SOURCE)
    try:
        proc = run_cli(
            ["check", "."], cwd=tmp_path / "proj", env={"XDG_CACHE_HOME": str(home)}, timeout=120
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a FIFO in place of the key file hung the run")
    assert proc.returncode == 1, proc.stderr
    assert stat.S_ISREG((home / "codemod" / "key").lstat().st_mode)


def test_entries_round_trip_through_the_codec(tmp_path: Path) -> None:
    result = FileResult(
        "a.py", (Change(3, "hoist-imports", "m", "t", Safety.UNSAFE, False),), (Skip(1, "x", "why"),),
        Failure("parse", "bad", 2, "hoist-imports"), "a", "b", "diff", "latin-1", None, False, "00",
    )  # fmt: skip
    module = "import os\nfrom . import b\n\nasync def f():\n    global G\n    import json\n    open('x')\n"
    write_tree(tmp_path, {"m.py": module})
    codemods = registry.all_codemods().values()
    gatherers = {c.ID: c.gather for c in codemods if c.has_gather()}
    facts = gather_file(tmp_path / "m.py", gatherers, {c.ID: c.may_change for c in codemods})
    assert facts.parsed and set(facts.codemod) == set(gatherers)
    values: list[object] = [
        result, facts, ("digest", (("n", "k"),), (("/d", frozenset({"a.py", "b"})),)),
        {"x": frozenset({Skip(1, "a", "b")}), 2: (None, 1.5, True)},
    ]  # fmt: skip
    for value in values:
        back = cache_codec.loads(cache_codec.dumps(value))
        assert back == value and type(back) is type(value)


@pytest.mark.parametrize(
    "entry",
    [
        [cache_codec.CLASS, "os:system", "echo"],  # not ours
        [cache_codec.CLASS, "codemods.cache:os.system", "echo"],  # reached through an import
        [cache_codec.CLASS, "codemods.cache:Cache", "x"],  # ours, but not a value type
        [cache_codec.ENUM, "codemods.types:FileResult", "x"],  # not an enum
        [cache_codec.CLASS, "codemods.types:Skip", 1, "x"],  # too few fields
        compile("import os", "<forged>", "exec"),  # code is never a value
        [7, "anything"],
    ],
    ids=["foreign", "through-import", "not-a-value-type", "not-an-enum", "fields", "code", "tag"],
)
def test_the_codec_builds_only_our_value_types(entry: object) -> None:
    with pytest.raises(cache_codec.FormatError):
        cache_codec.loads(marshal.dumps(entry))


def snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root`` with its bytes (or its link target)."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_file():
            found[rel] = path.read_bytes()
        else:
            found[rel] = "dir"
    return found


DB = f"v{SCHEMA}.sqlite"
PLANTED = {
    "directory": (CACHE_DIR_NAME, "outside"),
    "gitignore": (f"{CACHE_DIR_NAME}/.gitignore", "outside/new-file"),
    "database": (f"{CACHE_DIR_NAME}/{DB}", "outside/victim"),
    "database-dangling": (f"{CACHE_DIR_NAME}/{DB}", "outside/new-file"),
    "journal": (f"{CACHE_DIR_NAME}/{DB}-journal", "outside/victim"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_committed_symlink_in_the_cache_directory_is_never_followed(
    tmp_path: Path, case: str
) -> None:
    """A repository can commit ``.codemod_cache`` (or a file in it) as a symlink; ``check`` in
    that checkout must not write where it points."""
    project, outside = tmp_path / "proj", tmp_path / "outside"
    write_tree(project, SOURCE)
    outside.mkdir()
    (outside / "victim").write_bytes(b"")  # SQLite takes an empty file for a new database
    link, target = PLANTED[case]
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    (project / link).symlink_to(tmp_path / target)
    before = snapshot(outside)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    reference = run_cli(["check", "--diff", "--no-cache", "."], cwd=project, env=env)
    runs = [run_cli(["check", "--diff", "."], cwd=project, env=env) for _ in range(2)]
    assert snapshot(outside) == before
    assert (project / link).is_symlink()
    for proc in runs:
        assert (proc.returncode, proc.stdout) == (reference.returncode, reference.stdout)
        assert proc.stderr.count(b"warning: not using the cache:") == 1, proc.stderr
        assert b"symbolic link" in proc.stderr


def test_run_paths_never_follows_a_symlinked_cache_directory(tmp_path: Path) -> None:
    """The API checks too (no warning there: the cache is simply not used)."""
    project, outside = tmp_path / "proj", tmp_path / "outside"
    write_tree(project, SOURCE)
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside)
    assert outcome(project, tmp_path / "link") == outcome(project, None)
    assert list(outside.iterdir()) == []
    cache = Cache(tmp_path / "link")
    cache.put("k", 1)
    cache.close()
    assert list(outside.iterdir()) == []


def test_a_cache_directory_others_may_write_is_made_private(tmp_path: Path, xdg: Path) -> None:
    """Others could plant a symlink in it while a run uses it: their write permission goes."""
    project, cache_dir = tmp_path / "proj", tmp_path / "cache"
    write_tree(project, SOURCE)
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    expected = outcome(project, cache_dir)
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o755
    assert (cache_dir / DB).is_file()
    assert outcome(project, cache_dir) == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_a_cache_directory_of_another_user_is_not_used(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_tree(project, SOURCE)
    (project / CACHE_DIR_NAME).mkdir()
    os.chown(project / CACHE_DIR_NAME, 65534, 65534)
    proc = run_cli(["check", "."], cwd=project, env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert proc.returncode == 1
    assert b"warning: not using the cache:" in proc.stderr and b"another user" in proc.stderr
    assert list((project / CACHE_DIR_NAME).iterdir()) == []


ENDLESS = (
    "CREATE VIEW entries(key, value) AS WITH RECURSIVE c(x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT printf('%d', x), x FROM c"
)


@pytest.mark.parametrize(
    "schema",
    [
        [ENDLESS],
        [
            "CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB)",
            "CREATE TABLE log (x)",
            "CREATE TRIGGER t AFTER INSERT ON entries BEGIN INSERT INTO log VALUES (1); END",
        ],
    ],
    ids=["endless-view", "trigger"],
)
def test_a_committed_database_with_another_schema_is_not_used(
    tmp_path: Path, schema: list[str]
) -> None:
    """A repository can commit ``.codemod_cache/v3.sqlite`` as a regular file; a view named
    ``entries`` whose query never ends used to hang ``check`` (and SIGTERM could not stop it)."""
    project = tmp_path / "proj"
    write_tree(project, SOURCE)
    (project / CACHE_DIR_NAME).mkdir()
    db = sqlite3.connect(project / CACHE_DIR_NAME / DB)
    for statement in schema:
        db.execute(statement)
    db.commit()
    db.close()
    before = (project / CACHE_DIR_NAME / DB).read_bytes()
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    reference = run_cli(["check", "--diff", "--no-cache", "."], cwd=project, env=env)
    try:
        proc = run_cli(["check", "--diff", "."], cwd=project, env=env, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("a committed database hung the run")
    assert (proc.returncode, proc.stdout) == (reference.returncode, reference.stdout)
    assert proc.stderr.count(b"warning: not using the cache:") == 1, proc.stderr
    assert b"schema the tool did not create" in proc.stderr
    assert (project / CACHE_DIR_NAME / DB).read_bytes() == before


def test_the_cache_checks_the_schema_it_opens(tmp_path: Path, xdg: Path) -> None:
    """The API (no warning) does not use such a database either, and its own is accepted."""
    (tmp_path / "c").mkdir()
    db = sqlite3.connect(tmp_path / "c" / DB)
    db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB)")
    db.execute("CREATE TABLE log (x)")
    db.execute("CREATE TRIGGER t AFTER INSERT ON entries BEGIN INSERT INTO log VALUES (1); END")
    db.commit()
    db.close()
    cache = Cache(tmp_path / "c")
    cache.put("k", 1)
    cache.close()
    db = sqlite3.connect(tmp_path / "c" / DB)
    assert db.execute("SELECT count(*) FROM log").fetchall() == [(0,)]  # the trigger never ran
    db.close()
    cache = Cache(tmp_path / "own")
    cache.put("k", 1)
    cache.close()
    assert Cache(tmp_path / "own").get_many(["k"]) == {"k": 1}

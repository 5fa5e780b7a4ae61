"""Build the pinned benchmark corpus: the ``.py`` files of the packages in ``bench/corpus.lock``.

Each locked file is fetched with ``pip download --no-deps --require-hashes --only-binary=:all:``
(so pip checks the sha256), checked again here, and only its ``.py`` members are extracted into
``$CODEMOD_BENCH_DIR/corpus/<name>-<version>/`` (default ``~/.cache/codemod-bench``), outside the
repository. A ``.corpus.json`` marker records what was extracted and a digest of every extracted
byte; a package whose marker matches the lock and whose files still hash to that digest is left
as it is, so a second run downloads and writes nothing.

    python bench/build_corpus.py            # build (or verify) all, print files/lines per package
    python bench/build_corpus.py --paths    # also print the package directories on stdout
    python bench/build_corpus.py --only fastapi,starlette
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

LOCK = Path(__file__).resolve().with_name("corpus.lock")
MARKER = ".corpus.json"


@dataclass(frozen=True)
class Locked:
    name: str
    version: str
    sha256: str
    filename: str
    line: str  # the requirement line as written, for pip

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class PackageStats:
    name: str
    version: str
    path: str
    files: int
    lines: int
    bytes: int


def bench_dir() -> Path:
    """``$CODEMOD_BENCH_DIR``, or ``~/.cache/codemod-bench``."""
    env = os.environ.get("CODEMOD_BENCH_DIR")
    return Path(env).expanduser().resolve() if env else Path.home() / ".cache" / "codemod-bench"


def corpus_dir() -> Path:
    return bench_dir() / "corpus"


def read_lock(path: Path = LOCK) -> list[Locked]:
    """Parse ``name==version --hash=sha256:HEX  # filename`` lines (pip requirements syntax)."""
    packages = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        requirement, _, comment = raw.partition("#")
        requirement = requirement.strip()
        if not requirement:
            continue
        spec, *options = requirement.split()
        name, sep, version = spec.partition("==")
        hashes = [
            o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=sha256:")
        ]
        if not sep or len(hashes) != 1 or not comment.strip():
            raise SystemExit(f"{path}: expected 'name==version --hash=sha256:HEX  # file': {raw!r}")
        packages.append(Locked(name.lower(), version, hashes[0], comment.strip(), requirement))
    return packages


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def download(pkg: Locked, downloads: Path) -> Path:
    """The locked file in ``downloads/``, fetched by pip unless already there with the right hash."""
    target = downloads / pkg.filename
    if target.is_file() and sha256_file(target) == pkg.sha256:
        return target
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(pkg.line + "\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
            "--only-binary=:all:", "--disable-pip-version-check", "-d", tmp, "-r", str(requirements),
        ]  # fmt: skip
        try:  # pip's stdout goes to stderr: stdout is for --paths/--json
            subprocess.run(command, check=True, stdout=sys.stderr)
        except subprocess.CalledProcessError as exc:
            raise SystemExit(
                f"{pkg.filename}: pip download failed (exit {exc.returncode}), see above"
            ) from None
        fetched = Path(tmp) / pkg.filename
        if not fetched.is_file():
            got = sorted(p.name for p in Path(tmp).iterdir() if p != requirements)
            raise SystemExit(f"{pkg.name}: pip fetched {got}, expected {pkg.filename}")
        actual = sha256_file(fetched)
        if actual != pkg.sha256:
            raise SystemExit(
                f"{pkg.filename}: sha256 {actual} does not match the lock ({pkg.sha256})"
            )
        os.replace(fetched, target)
    return target


def _py_members(archive: zipfile.ZipFile) -> list[str]:
    names = []
    for name in archive.namelist():
        parts = PurePosixPath(name).parts
        if not name.endswith(".py") or name.startswith("/") or ".." in parts:
            continue
        if parts[0].endswith((".dist-info", ".data")):
            continue
        names.append(name)
    return sorted(names)


def _tree_digest(root: Path) -> tuple[str, int, int, int]:
    """Digest, files, lines, bytes of every ``.py`` file under ``root`` (sorted relative paths)."""
    h = hashlib.sha256()
    files = lines = size = 0
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix().encode()
        h.update(len(rel).to_bytes(8, "little") + rel + len(data).to_bytes(8, "little") + data)
        files += 1
        lines += count_lines(data)
        size += len(data)
    return h.hexdigest(), files, lines, size


def verified(pkg: Locked, dest: Path) -> PackageStats | None:
    """The package's stats if ``dest`` holds exactly what the lock says was extracted, else None."""
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("sha256") != pkg.sha256 or marker.get("version") != pkg.version:
        return None
    digest, files, lines, size = _tree_digest(dest)
    if digest != marker.get("digest"):
        return None
    return PackageStats(pkg.name, pkg.version, str(dest), files, lines, size)


def extract(pkg: Locked, wheel: Path, dest: Path) -> PackageStats:
    """Extract the ``.py`` members of ``wheel`` into ``dest`` (replaced atomically)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{pkg.dirname}-", dir=dest.parent))
    staging.chmod(0o755)
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in _py_members(archive):
                out = staging.joinpath(*PurePosixPath(name).parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.read(name))
        digest, files, lines, size = _tree_digest(staging)
        marker = {
            "name": pkg.name,
            "version": pkg.version,
            "sha256": pkg.sha256,
            "file": pkg.filename,
            "digest": digest,
            "files": files,
            "lines": lines,
            "bytes": size,
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackageStats(pkg.name, pkg.version, str(dest), files, lines, size)


def build(only: set[str] | None = None, log: bool = True) -> list[PackageStats]:
    """Build or verify the corpus (all packages, or those named in ``only``); return their stats."""
    packages = read_lock()
    if only:
        unknown = only - {p.name for p in packages}
        if unknown:
            raise SystemExit(f"not in {LOCK.name}: {', '.join(sorted(unknown))}")
        packages = [p for p in packages if p.name in only]
    root = corpus_dir()
    root.mkdir(parents=True, exist_ok=True)
    stats = []
    for pkg in packages:
        dest = root / pkg.dirname
        found = verified(pkg, dest)
        if found is None:
            if log:
                print(f"building {pkg.dirname} from {pkg.filename}", file=sys.stderr)
            found = extract(pkg, download(pkg, bench_dir() / "downloads"), dest)
        stats.append(found)
    if log:
        for s in stats:
            print(
                f"{s.name:<12} {s.version:<9} {s.files:>6,} files {s.lines:>10,} lines",
                file=sys.stderr,
            )
        files, lines, size = (
            sum(getattr(s, f) for s in stats) for f in ("files", "lines", "bytes")
        )
        print(
            f"{'total':<22} {files:>6,} files {lines:>10,} lines  {size / 1e6:.1f} MB in {root}",
            file=sys.stderr,
        )
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated package names (default: all in the lock)")
    parser.add_argument(
        "--paths", action="store_true", help="print the package directories on stdout"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the per-package stats as JSON on stdout"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress or totals on stderr"
    )
    args = parser.parse_args(argv)
    only = {n.strip().lower() for n in args.only.split(",") if n.strip()} if args.only else None
    stats = build(only, log=not args.quiet)
    if args.paths:
        for s in stats:
            print(s.path)
    if args.json:
        print(json.dumps([asdict(s) for s in stats], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

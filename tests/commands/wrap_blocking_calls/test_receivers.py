"""``wrap-blocking-calls`` receivers that were unknown: names of an enclosing function,
tuple-unpacked values, ``self.<attr>`` built from another attribute (pymongo's
``client[db][coll]``). Each rewrite is proven, and the unproven stays alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codemods.types import Options

from ...helpers import assert_codemod, dedent, run, run_tree, write_tree

ID = "wrap-blocking-calls"


def test_async_def_nested_in_a_def_uses_its_open_file_and_path() -> None:
    assert_codemod(
        ID,
        """
        from pathlib import Path

        def make_reader(path: str, base: Path):
            f = open(path)
            p = Path(path)

            async def read():
                return f.read(), p.exists(), base.is_dir()

            return read
        """,
        """
        import asyncio
        from pathlib import Path

        def make_reader(path: str, base: Path):
            f = open(path)
            p = Path(path)

            async def read():
                return await asyncio.to_thread(f.read), await asyncio.to_thread(p.exists), await asyncio.to_thread(base.is_dir)

            return read
        """,
    )


def test_enclosing_names_that_are_not_provable_stay_alone() -> None:
    for code in (
        # rebound in the enclosing function to something else
        "from pathlib import Path\n\ndef outer(u):\n    p = Path(u)\n    p = str(p)\n\n"
        "    async def inner():\n        return p.exists()\n    return inner\n",
        # rebound by another nested function (nonlocal)
        "from pathlib import Path\n\ndef outer(u):\n    p = Path(u)\n\n    def reset():\n        nonlocal p\n"
        "        p = None\n\n    async def inner():\n        return p.exists()\n    return inner, reset\n",
        # ``global`` in the inner function: the module's name, not the enclosing one
        "from pathlib import Path\np = None\n\ndef outer(u):\n    p = Path(u)\n\n    async def inner():\n"
        "        global p\n        return p.exists()\n    return inner\n",
        # a class body in between: not an enclosing function of its methods here
        "from pathlib import Path\n\ndef outer(u):\n    p = Path(u)\n\n    class C:\n        p = 1\n\n"
        "        async def m(self):\n            return p.exists()\n    return C\n",
    ):
        assert run(ID, code).code == code, code


def test_nested_rewrite_runs_the_same(tmp_path: Path) -> None:
    """Real asyncio: the rewritten closure reads the enclosing function's file and path."""
    target = tmp_path / "data.txt"
    target.write_text("hello", encoding="utf-8")
    source = dedent(
        """
        from pathlib import Path

        def make_reader(path):
            f = open(path)
            p = Path(path)

            async def read():
                return f.read(), p.exists()

            return read, f
        """
    )
    result = run(ID, source)
    assert "await asyncio.to_thread(f.read)" in result.code
    for code in (source, result.code):
        namespace: dict[str, object] = {}
        exec(compile(code, "reader.py", "exec"), namespace)
        read, handle = namespace["make_reader"](str(target))  # type: ignore[operator]
        try:
            assert asyncio.run(read()) == ("hello", True)
        finally:
            handle.close()


def test_tuple_unpacked_paths() -> None:
    assert_codemod(
        ID,
        """
        from pathlib import Path

        async def copy(a, b):
            src, dst = Path(a), Path(b)
            [x, y] = [Path(a), 1]
            return dst.write_text(src.read_text()), x.exists(), y.exists()
        """,
        """
        import asyncio
        from pathlib import Path

        async def copy(a, b):
            src, dst = Path(a), Path(b)
            [x, y] = [Path(a), 1]
            return await asyncio.to_thread(dst.write_text, await asyncio.to_thread(src.read_text)), await asyncio.to_thread(x.exists), y.exists()
        """,
    )


def test_unpacking_that_does_not_pair_stays_unknown() -> None:
    for line in (
        "a, b = paths",
        "a, *b = Path('x'), Path('y'), Path('z')",
        "a, b = Path('x'), Path('y'), Path('z')",
    ):
        code = (
            f"from pathlib import Path\n\nasync def f(paths):\n    {line}\n    return a.exists()\n"
        )
        assert run(ID, code).code == code, line


def test_project_function_with_tuple_unpacked_path_is_blocking(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "files.py": "from pathlib import Path\n\ndef size(a, b):\n    src, dst = Path(a), Path(b)\n"
            "    return src.stat().st_size\n",
            "app.py": "from files import size\n\nasync def handler(a):\n    return size(a, a)\n",
        },
    )
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert "await asyncio.to_thread(size, a, a)" in (tmp_path / "app.py").read_text(
        encoding="utf-8"
    )


def test_pymongo_collection_stored_from_another_attribute(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "repo.py": """
                from pymongo import MongoClient

                class Repo:
                    def __init__(self, url):
                        self.client = MongoClient(url)
                        self.users = self.client["app"]["users"]

                    async def get(self, uid):
                        return self.users.find_one({"_id": uid})
            """,
        },
    )
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert "await asyncio.to_thread(self.users.find_one, " in (tmp_path / "repo.py").read_text(
        encoding="utf-8"
    )


def test_attribute_built_from_a_disagreeing_attribute_stays_unknown(tmp_path: Path) -> None:
    code = """
        from pymongo import MongoClient

        class Repo:
            def __init__(self, url):
                self.client = MongoClient(url)
                self.users = self.client["app"]["users"]

            def use_fake(self, fake):
                self.client = fake

            async def get(self, uid):
                return self.users.find_one({"_id": uid})
    """
    write_tree(tmp_path, {"repo.py": code})
    run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert (tmp_path / "repo.py").read_text(encoding="utf-8") == dedent(code)

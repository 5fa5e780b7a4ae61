"""What a *component* of a repository declares, read as pure data.

A component is a directory holding dependency declarations: ``pyproject.toml`` (PEP 621,
PEP 735, Poetry, PDM, Hatch, uv, setuptools), ``setup.cfg``, ``setup.py``, pip requirement
files, a ``Pipfile``, and the lock files next to them (``declarations.COMPONENT_FILES``).

* ``declarations``: ``is_component`` and ``read_declarations`` -> ``Declarations``.
* ``distributions``: import names <-> distribution names (``provided_by``).
* ``versions``: Poetry version constraints as PEP 440 specifiers.

Security rule: nothing in this package ever imports, executes or evaluates repository code
(``setup.py`` is parsed with the standard library's ``ast`` and only literals are read), and
nothing here ever writes a file. Files are read only through ``reading.Collector``, which
refuses files over 1 MiB and paths (``-r`` includes, symlinks) that leave the repository.
"""

"""The libcst speed layer: printing, positions, read-only visits, path rebuilds, metadata
and statement walks that several codemods use in place of libcst's slower defaults.

Each answers exactly what the libcst API it replaces answers (tested against it); none
decides anything for a codemod, and only ``path_rebuild`` builds new nodes, along the
path a transformer asks for.
"""

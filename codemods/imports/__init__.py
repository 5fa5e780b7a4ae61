"""Import statements as ruff lays them out, for every codemod that adds or moves imports:
isort's order, where a new import goes in a sorted block, the project's import style,
where ruff's E402 top of file ends, and libcst's ``AddImportsVisitor`` made cheap.

It never decides whether an import may be added or moved: the codemods do.
"""

"""The FastAPI/Starlette app model: apps, routers and their event handlers in each module
(stdlib ``ast``), and the cross-module view of them that ``lifespan`` and
``startup-checks`` share.

Plain data and pure functions: it never edits a tree and never imports a codemod.
"""

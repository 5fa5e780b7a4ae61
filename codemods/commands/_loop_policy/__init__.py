"""What ``windows-loop-policy`` and ``event-loop-policy`` share: the ``ast`` analysis of
event-loop policy uses and server entry points, and the small libcst editor.

Not a codemod (the ``_`` keeps the registry from looking for one here).
"""

"""The standard library ``ast`` toolkit every phase shares: each file's node list, the tree
memo a run owns and hands down (``asts.Trees``), module-level names, the cheap prefilter checks.

Read-only: nothing here ever changes a tree (the trees are shared between phases), runs
or imports the code it reads, or knows about one codemod's rules.
"""

"""Read-only helpers shared by codemods: analyses of a file that never change the tree."""

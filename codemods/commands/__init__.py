"""One codemod per module; the module name is the codemod id (see ``codemods.registry``)."""

"""codemod: find and fix the async anti-patterns that take FastAPI/Starlette backends down."""

__version__ = "0.1.0"

__all__ = ["__version__"]

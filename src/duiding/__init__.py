"""duiding: who says what in Dutch news."""

__version__ = "0.1.0"

"""Transport regression harness: real TLS, real sockets, real kernel, real client code, offline."""

__version__ = "0.1.0"

from harness.sandbox.contract import ModeDeclined

__all__ = ["ModeDeclined", "__version__"]

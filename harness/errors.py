"""One base class for the harness's own errors.

Everything the harness reports as a problem with its input (an option, an origin file, a client
factory that cannot be used, a system without a kernel view) derives from :class:`HarnessError`, so
the command line and the pytest plugin catch it in one place and turn it into a usage error. Any
other exception is a bug in the harness and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A problem with what the harness was given; the message says what and how to fix it."""


class UsageInputError(HarnessError, ValueError):
    """An option, ini key or environment variable with a value outside its allowed range."""

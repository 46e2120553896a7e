"""Test suites shipped with the harness; import one into a test module to run it."""

"""The side that enumerates, judges and reports: the matrix of scenarios, the documented proxy
rules, the expectations and verdicts in one vocabulary of causes, the drive path that runs a
scenario through the sandbox and reads the network, the settings, and ``diagnose``."""

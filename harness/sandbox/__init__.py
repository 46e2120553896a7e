"""The side that runs the code under test: a warm worker process forks one child per scenario.

The judge (pytest, ``diagnose``) never calls a client factory itself. It asks a worker (a fresh,
single-threaded interpreter that imported the SDK and the factory's module once) to fork a child
with exactly the scenario's environment and the egress guard in place; the child builds the
client, makes the call and reports back over a pipe, while the judge holds the clock and kills
the child's whole process tree on a breach. Whatever the factory does to its process (exit,
signals, threads, caches, the environment) ends with that process.
"""

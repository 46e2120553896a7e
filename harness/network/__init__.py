"""The simulated network: origins (a gate in front of a TLS backend), the CONNECT proxy, routing
of real hostnames to loopback with the egress guard, the kernel's view of peer sockets, the
session CA, fault rules and network conditions, and the records of what each observed."""

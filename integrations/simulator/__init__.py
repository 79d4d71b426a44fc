"""Loopback fakes of shop platforms for the demo and the tests (BaseLinker's RPC endpoint)."""

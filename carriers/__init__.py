"""Carrier integrations: normalized tracking types, the adapter base class, the registry,
tracking-number detection, one adapter module per carrier, and a loopback demo carrier.

A pure library: nothing here imports Django or any other part of the project.
"""

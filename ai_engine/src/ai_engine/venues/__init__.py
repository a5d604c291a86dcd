"""Venue adapters: one package per venue, each implementing ``ai_engine.execution.ports``.

May import the domain and the execution ports (and the venue's client library), nothing else
of the engine.
"""

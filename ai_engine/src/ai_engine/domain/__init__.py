"""The domain model: value types, enums, instruments, orders, fills, positions, events, errors.

Standard library only (a test enforces it).
"""

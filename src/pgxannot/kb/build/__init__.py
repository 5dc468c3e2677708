"""Offline table builders: one per knowledge source, each derives resources/<source> from its release."""

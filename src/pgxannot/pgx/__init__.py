"""Pharmacogenomic star-allele calling: sites to read, calls, outside calls."""

from pgxannot.pgx.caller import call_samples, pgx_sites
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.pgx.outside import merge_outside_calls, read_outside_calls

__all__ = ["Diplotype", "GeneCall", "call_samples", "merge_outside_calls", "pgx_sites", "read_outside_calls"]

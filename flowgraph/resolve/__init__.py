"""Step 2 of the pipeline: who is behind an address."""

from .addresses import classify
from .inventory import Inventory, load_inventory
from .resolver import RESOLVED_SCHEMA, Resolver, normalize_epoch

__all__ = ["Inventory", "load_inventory", "Resolver", "RESOLVED_SCHEMA", "classify", "normalize_epoch"]

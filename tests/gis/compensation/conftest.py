"""The workflow tests' small world (two parcels, one household each), for compensation."""

from tests.gis.workflow.conftest import world

__all__ = ["world"]

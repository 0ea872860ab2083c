"""Shared by the project map's filter tests (the ``not_overlaid`` fixture is in conftest)."""

from __future__ import annotations

BANG_MAC = "06475"
CASES_SQL = """FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    JOIN projects j ON j.id = c.project_id
    LEFT JOIN case_next_deadlines d ON d.case_id = c.id
    WHERE j.code = 'CT-HNCL'"""
"""The expressway's cases ``c``, their parcels ``p`` and next deadlines ``d``."""

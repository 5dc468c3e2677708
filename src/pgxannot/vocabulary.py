"""The one vocabulary of drug guidance: actions, their order and their traffic lights.

Imported by the knowledge-source builders (``kb.build``), the guidance engine and every
renderer; it imports nothing of pgxannot, so any layer may use it. A value added here
is added everywhere: the report schema's ``action`` enum is checked against
:data:`ACTIONS` by a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# Most to least urgent. The order is the report's: drug lists and HTML groups follow it.
ACTIONS: Final[tuple[str, ...]] = (
    "avoid",
    "use_alternative",
    "reduce_dose",
    "increase_dose",
    "use_with_caution",
    "not_available",  # no guidance possible for this patient (a gene not called, candidates disagree)
    "standard_dosing",
    "no_recommendation",
)

# Actions a guideline row itself can carry (the builder's output); the rest arise per patient.
ROW_ACTIONS: Final[tuple[str, ...]] = tuple(a for a in ACTIONS if a != "not_available")

ACTION_LABELS: Final[Mapping[str, str]] = {
    "avoid": "Avoid",
    "use_alternative": "Use an alternative",
    "reduce_dose": "Reduce the dose",
    "increase_dose": "Increase the dose",
    "use_with_caution": "Use with caution",
    "not_available": "Guidance not available",
    "standard_dosing": "Standard dosing",
    "no_recommendation": "No recommendation",
}

LIGHTS: Final[tuple[str, ...]] = ("red", "amber", "green", "grey")
ACTION_LIGHT: Final[Mapping[str, str]] = {
    "avoid": "red",
    "use_alternative": "red",
    "reduce_dose": "amber",
    "increase_dose": "amber",
    "use_with_caution": "amber",
    "not_available": "grey",
    "standard_dosing": "green",
    "no_recommendation": "grey",
}
LIGHT_LABELS: Final[Mapping[str, str]] = {
    "red": "Act: avoid or change",
    "amber": "Adjust or monitor",
    "green": "Standard use",
    "grey": "No guidance",
}

_RANK: Final[Mapping[str, int]] = {a: i for i, a in enumerate(ACTIONS)}


def action_rank(action: Any) -> int:
    """Position of ``action`` in :data:`ACTIONS`; unknown values sort last."""
    return _RANK.get(str(action), len(ACTIONS))


def light_of_action(action: Any) -> str:
    """The traffic light an action implies (grey for unknown values)."""
    return ACTION_LIGHT.get(str(action), "grey")

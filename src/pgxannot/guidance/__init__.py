"""Drug guidance: CPIC recommendations for a patient's gene calls and medications."""

from pgxannot.guidance.engine import GuidanceResult, guidance_for
from pgxannot.kb.cpic import GuidanceKB, load_guidance_kb

__all__ = ["GuidanceKB", "GuidanceResult", "guidance_for", "load_guidance_kb"]

"""Drug guidance: CPIC recommendations for a patient's gene calls and medications."""

from pgxannot.guidance.engine import SEVERITY, TRAFFIC_LIGHT, GuidanceResult, guidance_for
from pgxannot.guidance.kb import GuidanceKB, load_guidance_kb

__all__ = ["SEVERITY", "TRAFFIC_LIGHT", "GuidanceKB", "GuidanceResult", "guidance_for", "load_guidance_kb"]

"""Action categories derived from CPIC wording: regression cases."""

from pgxannot.guidance import load_guidance_kb
from pgxannot.kb.build.cpic import classify_action


def test_standard_dose_with_optional_increase_is_standard_dosing():
    # regression: PPIs in CYP2C19 normal metabolizers were shown as "increase the dose"
    # to every normal metabolizer; CPIC's primary advice is the standard dose
    text = ("Initiate standard starting daily dose. For H. pylori infection and erosive esophagitis, "
            "consider increasing dose by 50-100%.")
    assert classify_action(text, "Moderate") == ("standard_dosing", None)


def test_rapid_metabolizer_increase_stays_increase():
    assert classify_action("Increase starting daily dose by 100%. Daily dose may be given in divided doses.",
                           "Optional") == ("increase_dose", 100)


def test_bundled_ppi_rows_for_normal_metabolizers():
    kb = load_guidance_kb()
    rows = [r for r in kb.rows["omeprazole"] if r.lookup_dict.get("CYP2C19") == "Normal Metabolizer"]
    assert rows and all(r.action == "standard_dosing" for r in rows)
    assert all("H. pylori" in r.recommendation for r in rows)

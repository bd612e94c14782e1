"""The level the checks' tests judge records at: the one each interval record gets in the default battery.

The battery has about 60 interval records and a run level of 95% (Bonferroni), so each record's
interval is at 1 - 0.05/60; a check tested alone is judged as it would be in the battery.
"""

BATTERY_LEVEL = 1 - 0.05 / 60


def judged(records):
    """The records (one or a list) recomputed at :data:`BATTERY_LEVEL`."""
    records = records if isinstance(records, list) else [records]
    return [r.at_level(BATTERY_LEVEL) for r in records]


def verdicts(records):
    """Their verdicts at :data:`BATTERY_LEVEL`."""
    return [r.verdict for r in judged(records)]

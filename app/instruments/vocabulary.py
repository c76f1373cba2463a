"""The fixed words of the statement format: kinds, audiences, tags. Facts from the field, in our words."""

from enum import StrEnum


class Kind(StrEnum):
    i_statements = "i_statements"
    ladder = "ladder"
    local_offer_audit = "local_offer_audit"
    development_stages = "development_stages"


class Audience(StrEnum):
    parent_carers = "parent_carers"
    young_people = "young_people"
    children = "children"  # easy read: children, and anyone who wants it
    professionals = "professionals"


AUDIENCE_LABELS = {
    Audience.parent_carers: "Parent carers",
    Audience.young_people: "Young people",
    Audience.children: "Children and easy read",
    Audience.professionals: "Professionals",
}

KIND_LABELS = {
    Kind.i_statements: "I-statements",
    Kind.ladder: "Ladder of participation",
    Kind.local_offer_audit: "Local Offer audit",
    Kind.development_stages: "Development stages",
}

# Tags map an item to the frameworks indicators are grouped by: "<framework>:<value>".
TAGS: dict[str, dict[str, str]] = {
    "pfa": {  # Preparing for Adulthood outcomes
        "employment": "Education and employment",
        "independent-living": "Independent living",
        "community": "Friends, relationships and community",
        "health": "Being as healthy as possible",
    },
    "local-offer": {  # what the SEND Code of Practice asks of a Local Offer
        "collaborative": "Collaborative",
        "accessible": "Accessible",
        "comprehensive": "Comprehensive",
        "up-to-date": "Up to date",
        "transparent": "Transparent",
    },
    "inspection": {  # what area SEND inspections look at, from families' side
        "participation": "Families take part in decisions",
        "right-help": "The right help at the right time",
        "next-steps": "Prepared for next steps",
        "valued-included": "Valued and included",
    },
    "cycle": {  # the commissioning cycle
        "understand": "Understand",
        "plan": "Plan",
        "do": "Do",
        "review": "Review",
    },
}

FRAMEWORK_LABELS = {
    "pfa": "Preparing for Adulthood",
    "local-offer": "Local Offer quality",
    "inspection": "Area inspection theme",
    "cycle": "Commissioning cycle",
}


def tag_label(tag: str) -> str:
    framework, _, value = tag.partition(":")
    return f"{FRAMEWORK_LABELS[framework]}: {TAGS[framework][value]}"

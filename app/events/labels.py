"""The words staff pages use for an event's states and kinds of activity, in one place for every page."""

from app.events.models import ActivityKind, ActivityStatus, EventStatus

EVENT_STATUS_LABELS = {
    EventStatus.draft: "Being planned",
    EventStatus.open: "Open",
    EventStatus.ended: "Ended",
}
# GOV.UK tag colours, so a status reads the same at a glance on every page.
EVENT_STATUS_COLOURS = {EventStatus.draft: "blue", EventStatus.open: "green", EventStatus.ended: "grey"}

ACTIVITY_STATUS_LABELS = {
    ActivityStatus.waiting: "Not started",
    ActivityStatus.open: "Taking answers",
    ActivityStatus.paused: "Paused",
    ActivityStatus.closed: "Closed",
}
ACTIVITY_STATUS_COLOURS = {
    ActivityStatus.waiting: "grey",
    ActivityStatus.open: "green",
    ActivityStatus.paused: "yellow",
    ActivityStatus.closed: "blue",
}

# (name, what the room does): the radios' labels and hints when an activity is added.
KIND_LABELS = {
    ActivityKind.rate: (
        "Rate statements",
        "Each person says how far they agree with a few statements, as in a survey.",
    ),
    ActivityKind.prioritise: (
        "Choose the ones that matter most",
        "Each person picks a few statements from a list; the room sees them ranked by how many chose each.",
    ),
    ActivityKind.ladder: (
        "Place something on the ladder of participation",
        "Each person says where a service, board or plan is on the ladder now, and where it should be.",
    ),
    ActivityKind.ideas: (
        "Collect ideas",
        "Each person writes a short idea. You read each one before the room sees it.",
    ),
}

# The question the room sees when the facilitator leaves it empty.
DEFAULT_TITLES = {
    ActivityKind.rate: "How far do you agree?",
    ActivityKind.prioritise: "Which of these matter most to you?",
    ActivityKind.ladder: "Where are we on the ladder, and where should we be?",
    ActivityKind.ideas: "What one thing would make the biggest difference?",
}

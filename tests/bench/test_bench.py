"""`make bench` in miniature: its quick mode, end to end, with real servers and a real load process.

It checks the shape of what the benchmark reports and that what it sent was really stored; it
never judges a time.
"""

import json
from dataclasses import replace
from pathlib import Path

from bench.events import STATEMENTS_EACH
from bench.run import EVENT_FIGURES, FIGURES, QUICK, RESULTS, run_benchmark

STATEMENTS = 30


def test_the_quick_benchmark_reports_every_figure_and_stores_every_submission(tmp_path: Path) -> None:
    committed = RESULTS.read_bytes() if RESULTS.exists() else None
    out = tmp_path / "results.json"

    results = run_benchmark(replace(QUICK, out=out, command="pytest"))

    assert json.loads(out.read_text()) == results
    assert (RESULTS.read_bytes() if RESULTS.exists() else None) == committed
    assert "postgresql" not in results
    sqlite = results["sqlite"]
    for name in (*FIGURES, *EVENT_FIGURES):
        value = sqlite[name]
        assert isinstance(value, int | float) and not isinstance(value, bool), name
        assert value > 0, name
    assert sqlite["errors"] == 0
    assert sqlite["event_errors"] == 0
    assert len(sqlite["submit_to_bare_ratio_by_round"]) == QUICK.rounds

    # Every send stored one response and its answers: warm-ups and measured ones, submissions and journeys.
    inserted = QUICK.warmup + QUICK.rounds * QUICK.submissions
    sent = inserted + QUICK.warmup + QUICK.journeys
    assert sqlite["stored"] == {
        "responses": sent,
        "answers": sent * STATEMENTS,
        "sent": sent,
        "statements": STATEMENTS,
    }
    assert sqlite["bare_stored"] == {"responses": inserted, "answers": inserted * STATEMENTS}

    # The page's weight is the HTML, the style sheet and the scripts, each compressed.
    files = sqlite["respondent_page_files"]
    assert sum(entry["transferred_bytes"] for entry in files.values()) == sqlite["respondent_page_gzip_bytes"]
    assert any("/page/1" in url for url in files)
    assert any(url.split("?")[0].endswith(".css") for url in files)
    assert any(url.split("?")[0].endswith(".mjs") for url in files)
    assert {entry["content_encoding"] for entry in files.values()} == {"gzip"}

    # The results page and the export read a survey of made-up responses: every answer came out as a row.
    insights = sqlite["insights"]
    assert (insights["responses"], insights["answers"]) == (
        QUICK.insights_responses,
        QUICK.insights_responses * STATEMENTS,
    )
    assert insights["export"]["rows"] == insights["answers"]
    for view in ("whole_area", "breakdown"):
        assert insights["dashboard"][view]["count"] == QUICK.dashboard_requests
        assert insights["dashboard"][view]["errors"] == 0
    assert sqlite["export_peak_rss_mb"] >= sqlite["export_rss_before_mb"] > 0

    # The live event: everyone joined, every phone saw the room move on exactly once, and the answers
    # stored are the ones the load processes saw accepted: one submission per person per activity,
    # a revision for every answer sent, five choices in each.
    room, event = QUICK.event, sqlite["event"]
    app, bare = event["app"], event["bare"]
    assert sqlite["event_poll_offered_rps"] == room.participants / 2
    assert app["joins"]["count"] == room.participants
    assert app["pages_saw_change"] == {"1": room.participants}
    assert app["changed_polls"]["count"] == room.participants
    assert bare["pages_saw_change"] == {"0": room.participants}
    assert app["polls"]["count"] > 0 and bare["polls"]["count"] > 0
    first, second = (str(number) for number in event["activity_ids"])
    held = sqlite["event_stored"]
    assert held["participants"] == room.participants
    assert app["answers"]["people_by_activity"][first] == room.answerers
    assert app["answers"]["by_activity"][first] == 2 * room.answerers  # an answer, then a change
    for activity in (first, second):
        people = app["answers"]["people_by_activity"].get(activity, 0)
        assert held["activities"][activity] == {
            "submissions": people,
            "revisions": app["answers"]["by_activity"].get(activity, 0),
            "choices": people * STATEMENTS_EACH,
            "status": "closed" if activity == first else "open",
        }
    assert app["answers"]["count"] == sum(app["answers"]["by_activity"].values())

"""Analyses and reports: each fetched only when selected, once per operation, concurrently."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ALICE, BOB, GraphQLClient, global_id, seeded
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

JUMP = seeded("alice", "Vertical Jump")[0]
RUN = seeded("alice", "Running")[0]
LIFT = seeded("alice", "Weightlifting")[0]

JUMP_ANALYSIS = "POST /jumping/sessions/{session_id}/jump-analysis/"
JUMP_SUMMARY = "GET /jumping/sessions/{session_id}/summary/"
JUMP_RECOMMENDATION = "POST /jumping/sessions/{session_id}/recommendation/"
GAIT = "POST /running/sessions/{session_id}/gait-analysis/"
COMMENTS = "GET /running/sessions/{session_id}/report-comments/"
LIFT_GET = "GET /weightlifting/sessions/{session_id}/lift-analysis/"
LIFT_POST = "POST /weightlifting/sessions/{session_id}/lift-analysis/"
RECOMMENDATION = "POST /weightlifting/sessions/{session_id}/recommendation/"
TOTALS = "GET /running/sessions/metrics/total/"


@pytest.fixture
async def rest(sandbox: SandboxControl) -> AsyncIterator[httpx.AsyncClient]:
    """The upstream straight, as a partner would call it without the gateway."""
    async with sandbox.client(headers={"Authorization": ALICE}, timeout=60) as http:
        yield http


async def direct(rest: httpx.AsyncClient, sandbox: SandboxControl, method: str, path: str) -> Any:
    response = await rest.request(method, path)
    response.raise_for_status()
    sandbox.reset()  # only the gateway's calls are counted below
    return response.json()


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_jump_analysis_and_summary(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    sid = JUMP.session_id
    analysis = await direct(rest, sandbox, "POST", f"/jumping/sessions/{sid}/jump-analysis/")
    summary = await direct(rest, sandbox, "GET", f"/jumping/sessions/{sid}/summary/")
    query = """
    query ($id: ID!) { session(id: $id) { ... on JumpingSession {
      jumpAnalysis {
        graphs(names: ["grf", "power"]) { metric jumps { jump times values } }
        phases { name videoFrame graphPhase imageUrl }
        minFrame maxFrame sessionDate comments { name text }
        athlete { name age weightKg heightCm gender }
      }
      again: jumpAnalysis { minFrame }
      summary {
        metrics(names: ["jump_height"]) { name values avg }
        ratings { name text } athlete { name } createdAt
      }
    } } }"""
    data = ok(await gql.execute(query, {"id": global_id(JUMP)}))["session"]
    got = data["jumpAnalysis"]
    assert [g["metric"] for g in got["graphs"]] == ["grf", "power"]
    grf = analysis["graph_data"]["grf"]
    assert got["graphs"][0]["jumps"] == [
        {"jump": name, "times": curve["times"], "values": curve["data"]}
        for name, curve in grf.items()
    ]
    assert got["phases"] == [
        {
            "name": name,
            "videoFrame": p["video_frame"],
            "graphPhase": p["graph_phase"],
            "imageUrl": p["image_url"],
        }
        for name, p in analysis["phase_data"].items()
    ]
    assert (got["minFrame"], got["maxFrame"]) == (analysis["min_frame"], analysis["max_frame"])
    assert got["sessionDate"] == analysis["session_date"]
    assert {c["name"]: c["text"] for c in got["comments"]} == analysis["comments"]
    user = analysis["user_information"]
    assert got["athlete"] == {
        "name": user["name"],
        "age": user["age"],
        "weightKg": user["weight"],
        "heightCm": user["height"],
        "gender": user["gender"],
    }
    assert data["summary"]["metrics"][0]["values"] == summary["metrics"]["jump_height"]
    assert {r["name"]: r["text"] for r in data["summary"]["ratings"]} == summary["summary"]
    assert data["summary"]["createdAt"].startswith(summary["created_at"]["date"])
    # Each report once, whatever selects it; and the session's details once.
    assert sandbox.stats()["routes"] == {
        "GET /jumping/sessions/{session_id}/": 1,
        JUMP_ANALYSIS: 1,
        JUMP_SUMMARY: 1,
    }


async def test_reports_are_fetched_only_when_selected(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    query = """
    query ($j: ID!, $r: ID!, $w: ID!) {
      j: session(id: $j) { title ... on JumpingSession { endFrames } }
      r: session(id: $r) { title ... on RunningSession { summary segments } }
      w: session(id: $w) { title ... on WeightliftingSession { exercise } }
    }"""
    ok(await gql.execute(query, {"j": global_id(JUMP), "r": global_id(RUN), "w": global_id(LIFT)}))
    routes = sandbox.stats()["routes"]
    assert set(routes) == {
        "GET /jumping/sessions/{session_id}/",
        "GET /running/sessions/{session_id}/",
        "GET /weightlifting/sessions/{session_id}/",
    }


async def test_gait_analysis_comments_and_totals(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    sid = RUN.session_id
    gait = await direct(rest, sandbox, "POST", f"/running/sessions/{sid}/gait-analysis/")
    comments = await direct(rest, sandbox, "GET", f"/running/sessions/{sid}/report-comments/")
    totals = await direct(rest, sandbox, "GET", "/running/sessions/metrics/total/")
    query = """
    query ($id: ID!) {
      session(id: $id) { ... on RunningSession {
        gaitAnalysis {
          peakTime date
          phases { name videoFrame graphPhase videoPhase imageUrl }
          angles(names: ["lkne_angle"]) { name current next stdDev }
          athlete { age email heightCm }
        }
        reportComments { name en ru }
        b: reportComments { name }
      } }
      runningTotals {
        averages { name value }
        lastSession(names: ["speed", "total_distance"]) { name value avg min max }
        lastSessionFootstrike lastSessionCreatedAt
      }
    }"""
    data = ok(await gql.execute(query, {"id": global_id(RUN)}))
    got = data["session"]["gaitAnalysis"]
    assert got["peakTime"] == gait["peak_time"]
    day, month, year = gait["date"].split("/")
    assert got["date"] == f"{year}-{month}-{day}"
    assert {p["name"]: p["videoPhase"] for p in got["phases"]} == {
        name: p["video_phase"] for name, p in gait["phases"].items()
    }
    lkne = gait["angles"]["lkne_angle"]
    assert got["angles"] == [
        {
            "name": "lkne_angle",
            "current": lkne["current"],
            "next": lkne["next"],
            "stdDev": lkne["std_dev"],
        }
    ]
    # The gait report sends the age as a string; it is an Int here.
    assert got["athlete"]["age"] == int(gait["user_info"]["age"])
    assert data["session"]["reportComments"] == [
        {"name": name, **texts} for name, texts in comments.items()
    ]

    averages = {m["name"]: m["value"] for m in data["runningTotals"]["averages"]}
    assert averages == totals["avg_metrics"]
    last = {m["name"]: m for m in data["runningTotals"]["lastSession"]}
    assert last["speed"]["avg"] == totals["last_session_metrics"]["speed"]["avg"]
    assert last["total_distance"]["value"] == totals["last_session_metrics"]["total_distance"]
    assert data["runningTotals"]["lastSessionFootstrike"] == "midfoot"
    assert sandbox.stats()["routes"] == {
        "GET /running/sessions/{session_id}/": 1,
        GAIT: 1,
        COMMENTS: 1,
        TOTALS: 1,
    }


async def test_no_comments_and_no_running_sessions_are_null(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    # The upstream answers 404 for "Comments not found" and for a user with
    # no running session at all.
    sandbox.configure(
        fail_next=[
            {"status": 404, "path_contains": "/report-comments/"},
            {"status": 404, "path_contains": "/metrics/total/"},
        ]
    )
    try:
        query = """query ($id: ID!) {
          session(id: $id) { ... on RunningSession { reportComments { name } } }
          runningTotals { averages { name } }
        }"""
        data = ok(await gql.execute(query, {"id": global_id(RUN)}))
    finally:
        sandbox.configure(fail_next=None)
    assert data == {"session": {"reportComments": None}, "runningTotals": None}


async def test_jump_recommendation_threads_cost_one_call(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    sid = JUMP.session_id
    threads = await direct(rest, sandbox, "POST", f"/jumping/sessions/{sid}/recommendation/")
    query = """
    query ($id: ID!) { session(id: $id) { ... on JumpingSession {
      recommendationThreads { metric threadId }
      again: recommendationThreads { metric }
    } } }"""
    data = ok(await gql.execute(query, {"id": global_id(JUMP)}))["session"]
    assert data["recommendationThreads"] == [
        {"metric": metric, "threadId": thread} for metric, thread in threads.items()
    ]
    assert data["again"] == [{"metric": metric} for metric in threads]
    assert sandbox.stats()["routes"][JUMP_RECOMMENDATION] == 1


async def test_lift_analysis_languages_cost_one_call(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    sid = LIFT.session_id
    images = await direct(rest, sandbox, "GET", f"/weightlifting/sessions/{sid}/lift-analysis/")
    texts = await direct(rest, sandbox, "POST", f"/weightlifting/sessions/{sid}/recommendation/")
    query = """
    query ($id: ID!) { session(id: $id) { ... on WeightliftingSession {
      en: liftAnalysis { name url language }
      ru: liftAnalysis(language: RU) { name url language }
      recommendations(language: RU) { name text language }
      enTexts: recommendations { name text }
    } } }"""
    data = ok(await gql.execute(query, {"id": global_id(LIFT)}))["session"]
    for language in ("en", "ru"):
        assert data[language] == [
            {"name": name, "url": urls[language], "language": language.upper()}
            for name, urls in images.items()
        ]
    assert data["recommendations"] == [
        {"name": name, "text": t["ru"], "language": "RU"} for name, t in texts.items()
    ]
    assert data["enTexts"] == [{"name": name, "text": t["en"]} for name, t in texts.items()]
    routes = sandbox.stats()["routes"]
    assert routes[LIFT_GET] == 1
    assert routes[RECOMMENDATION] == 1
    assert LIFT_POST not in routes


async def test_lift_analysis_falls_back_to_post_on_405(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    sandbox.configure(
        fail_next={"status": 405, "path_contains": "/lift-analysis/", "method": "GET"}
    )
    try:
        body = await gql.execute(
            "query ($id: ID!) { session(id: $id) { ... on WeightliftingSession {"
            " liftAnalysis { name } } } }",
            {"id": global_id(LIFT)},
        )
    finally:
        sandbox.configure(fail_next=None)
    assert len(ok(body)["session"]["liftAnalysis"]) == 6
    routes = sandbox.stats()["routes"]
    assert (routes[LIFT_GET], routes[LIFT_POST]) == (1, 1)


async def test_a_failing_report_fails_only_its_field(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    sandbox.configure(fail_next={"status": 404, "path_contains": "/lift-analysis/"})
    try:
        body = await gql.execute(
            "query ($id: ID!) { session(id: $id) { title ... on WeightliftingSession {"
            " liftAnalysis { name } recommendations { name } } } }",
            {"id": global_id(LIFT)},
        )
    finally:
        sandbox.configure(fail_next=None)
    session = body["data"]["session"]
    assert session["title"] == LIFT.title
    assert session["liftAnalysis"] is None
    assert len(session["recommendations"]) >= 1
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["session", "liftAnalysis"], "NOT_FOUND")
    ]


async def test_reports_of_another_users_session_are_not_served(gql: GraphQLClient) -> None:
    bobs = next(r for r in seeded("bob") if r.activity == "Weightlifting")
    body = await gql.execute(
        "query ($id: ID!) { session(id: $id) { ... on WeightliftingSession {"
        " liftAnalysis { url } } } }",
        {"id": global_id(bobs)},
        key=ALICE,
    )
    assert body["data"]["session"] is None
    assert bobs.session_id not in str(body["data"])
    mine = await gql.execute(
        "query ($id: ID!) { session(id: $id) { ... on WeightliftingSession {"
        " liftAnalysis { url } } } }",
        {"id": global_id(bobs)},
        key=BOB,
    )
    assert bobs.session_id in mine["data"]["session"]["liftAnalysis"][0]["url"]


async def test_deprecated_reports_are_marked_and_still_served(gql: GraphQLClient) -> None:
    body = ok(
        await gql.execute(
            '{ __type(name: "RunningSession") { fields(includeDeprecated: true) {'
            " name isDeprecated deprecationReason } } }"
        )
    )
    fields = {f["name"]: f for f in body["__type"]["fields"]}
    for name in ("summaryReport", "formAnalysisImages", "reportImages"):
        assert fields[name]["isDeprecated"], name
        assert "deprecated" in fields[name]["deprecationReason"]
    for name in ("summary", "gaitAnalysis", "reportComments"):
        assert not fields[name]["isDeprecated"], name

    data = ok(
        await gql.execute(
            "query ($id: ID!) { session(id: $id) { ... on RunningSession {"
            " summaryReport(language: RU) { text language }"
            " formAnalysisImages { name } reportImages(language: RU) { url } } } }",
            {"id": global_id(RUN)},
        )
    )["session"]
    assert data["summaryReport"]["language"] == "RU"
    assert data["summaryReport"]["text"].startswith("Приветствую")
    assert [i["name"] for i in data["formAnalysisImages"]] == [
        "contact_angles",
        "push_angles",
        "knee_ankle",
    ]
    assert all(i["url"].endswith("_ru.png") for i in data["reportImages"])


def tokens(text: str) -> Any:
    """JSON with every number kept as its text: `1`, `1.0` and `-0.0` stay apart,
    as Python's == (1 == 1.0, -0.0 == 0.0) would not keep them."""
    return json.loads(text, parse_float=lambda t: ("num", t), parse_int=lambda t: ("num", t))


@pytest.mark.parametrize("record", [JUMP, RUN, LIFT], ids=["jumping", "running", "weightlifting"])
async def test_a_full_export_is_the_upstreams_numbers_exactly(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient, record: Any
) -> None:
    """Every series of a full-size export, token for token as the upstream wrote it."""
    sandbox.configure(export_frames=1000)
    activity = {JUMP: "jumping", RUN: "running", LIFT: "weightlifting"}[record]
    response = await rest.get(f"/{activity}/sessions/{record.session_id}/export/")
    response.raise_for_status()
    export = tokens(response.text)
    sandbox.reset()
    query = """query ($id: ID!) { session(id: $id) {
      export { keypoints { name values } angles { name values } timestamps }
    } }"""
    answer = await gql.http.post(
        "/graphql",
        json={"query": query, "variables": {"id": global_id(record)}},
        headers={"Authorization": ALICE},
    )
    body = tokens(answer.text)
    assert "errors" not in body, answer.text[:500]
    data = body["data"]["session"]["export"]
    assert len(export["all_timestamps"]) == 1000
    assert len(export["keypoints"]) > 10 and len(export["angles"]) > 3
    for field in ("keypoints", "angles"):
        assert [(s["name"], s["values"]) for s in data[field]] == list(export[field].items())
    assert data["timestamps"] == export["all_timestamps"]
    assert sandbox.calls() == 1  # the export alone: one call, nothing fetched twice


async def test_session_page_costs_one_concurrent_call_per_endpoint(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    """Details, two reports and a two-series slice of the export: four calls, all at once."""
    export = await direct(
        rest, sandbox, "GET", f"/weightlifting/sessions/{LIFT.session_id}/export/"
    )
    # The key confirmed first: an unconfirmed key's first call goes alone (the
    # wrong-key gate), which is not what this test measures; alone (`-k`), it
    # would be this test's first call.
    ok(await gql.execute("{ sessions(first: 1) { edges { node { id } } } }"))
    # The first calls held until three are in flight (the sandbox's gate).
    sandbox.configure(gate=3)
    sandbox.reset()
    query = """
    query ($id: ID!) { session(id: $id) {
      title createdAt userName metrics(names: ["max_bar_speed"]) { value }
      angles(names: ["lkne_angle"], frames: {start: 0, end: 5}) { name values }
      ... on WeightliftingSession {
        exercise
        liftAnalysis { name url }
        recommendations { name text }
        export {
          keypoints(names: ["lknex", "rshoy"], frames: {start: 10, end: 40}) { name values }
          timestamps(frames: {start: 10, end: 40})
        }
      }
    } }"""
    data = ok(await gql.execute(query, {"id": global_id(LIFT)}))["session"]
    keypoints = data["export"]["keypoints"]
    # In the upstream's order, which is not the order of `names`.
    assert {k["name"]: k["values"] for k in keypoints} == {
        name: export["keypoints"][name][10:40] for name in ("lknex", "rshoy")
    }
    assert data["export"]["timestamps"] == export["all_timestamps"][10:40]
    stats = sandbox.stats()
    assert stats["routes"] == {
        "GET /weightlifting/sessions/{session_id}/": 1,
        "GET /weightlifting/sessions/{session_id}/export/": 1,
        LIFT_GET: 1,
        RECOMMENDATION: 1,
    }
    assert stats["total"] == 4
    # The details, the export and the lift analysis (GETs) at once, as the
    # sandbox counted them, then the recommendation, a POST that may generate
    # it, once the details proved the session: two waves, where one after
    # another would be four.
    assert stats["max_in_flight"] == 3


async def test_every_series_field_takes_names_and_frames(
    gql: GraphQLClient, sandbox: SandboxControl, rest: httpx.AsyncClient
) -> None:
    bodies = {}
    for record, path in ((JUMP, "jumping"), (RUN, "running"), (LIFT, "weightlifting")):
        for kind in ("", "export/"):
            url = f"/{path}/sessions/{record.session_id}/{kind}"
            bodies[path, kind] = await direct(rest, sandbox, "GET", url)
    f = "frames: {start: 5, end: 15}"
    query = f"""
    query ($j: ID!, $r: ID!, $w: ID!) {{
      j: session(id: $j) {{
        angles(names: ["kne_angle"], {f}) {{ name values }}
        timestamps({f})
        ... on JumpingSession {{ wholeReportMetrics(names: ["grf"], {f}) {{ name values }} }}
        export {{
          keypoints(names: ["lknev"], {f}) {{ name values }}
          angles(names: ["kne_angle"], {f}) {{ name values }}
          timestamps({f})
        }}
      }}
      r: session(id: $r) {{
        export {{ contact({f}) keypoints(names: ["rshox"], {f}) {{ values }} }}
      }}
      w: session(id: $w) {{
        ... on WeightliftingSession {{
          reportMetrics(names: ["bar", "vbar"], {f}) {{ name values }}
        }}
        export {{
          angles(names: ["lkne_angle"], {f}) {{ name values }}
          metrics(names: ["scale"]) {{ value }}
        }}
      }}
    }}"""
    data = ok(
        await gql.execute(query, {"j": global_id(JUMP), "r": global_id(RUN), "w": global_id(LIFT)})
    )

    def cut(values: list[Any]) -> list[Any]:
        return values[5:15]

    jd, je = bodies["jumping", ""], bodies["jumping", "export/"]
    assert data["j"]["angles"] == [{"name": "kne_angle", "values": cut(jd["angles"]["kne_angle"])}]
    assert data["j"]["timestamps"] == cut(jd["all_timestamps"])
    assert data["j"]["wholeReportMetrics"] == [
        {"name": "grf", "values": cut(jd["whole_report_metrics"]["grf"])}
    ]
    assert data["j"]["export"] == {
        "keypoints": [{"name": "lknev", "values": cut(je["keypoints"]["lknev"])}],
        "angles": [{"name": "kne_angle", "values": cut(je["angles"]["kne_angle"])}],
        "timestamps": cut(je["all_timestamps"]),
    }
    re_ = bodies["running", "export/"]
    assert data["r"]["export"] == {
        "contact": cut(re_["contact"]),
        "keypoints": [{"values": cut(re_["keypoints"]["rshox"])}],
    }
    wd, we = bodies["weightlifting", ""], bodies["weightlifting", "export/"]
    assert {m["name"]: m["values"] for m in data["w"]["reportMetrics"]} == {
        name: cut(wd["report_metrics"][name]) for name in ("bar", "vbar")
    }
    assert data["w"]["export"]["angles"] == [
        {"name": "lkne_angle", "values": cut(we["angles"]["lkne_angle"])}
    ]
    assert data["w"]["export"]["metrics"] == [{"value": we["metrics"]["scale"]}]
    assert all(len(s["values"]) == 10 for s in data["w"]["reportMetrics"])


async def test_bad_frame_ranges_are_bad_requests(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    for frames, field in (({"start": -1}, "frames.start"), ({"start": 9, "end": 3}, "frames.end")):
        body = await gql.execute(
            "query ($id: ID!, $f: FrameRangeInput) { session(id: $id) {"
            " export { keypoints(frames: $f) { name } } } }",
            {"id": global_id(LIFT), "f": frames},
        )
        [error] = body["errors"]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_REQUEST", field)

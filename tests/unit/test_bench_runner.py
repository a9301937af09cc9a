"""The benchmark runner's verdicts, table and results.json (not its timings)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_REPORT_PATH = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def _load_report():
    # bench/ is not an installed package; load the module straight from its file.
    spec = importlib.util.spec_from_file_location("bench_report_under_test", _REPORT_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


report = _load_report()
Target = report.Target


@pytest.mark.parametrize(
    ("target", "measured", "met"),
    [
        (Target(">=", 0.1), 0.1, True),
        (Target(">=", 0.1), 0.25, True),
        (Target(">=", 0.1), 0.09, False),
        (Target("<=", 250), 250, True),
        (Target("<=", 250), 48.0, True),
        (Target("<=", 250), 251, False),
        (Target(">=", 0.1), None, False),
        (Target("<=", 250), float("nan"), False),
        (Target("==", 0), 0, True),
        (Target("==", 0), 1, False),
        (Target("==", 0), None, False),
    ],
)
def test_a_target_is_met_only_on_its_side_of_the_threshold(target, measured, met):
    assert target.met_by(measured) is met


def test_a_target_refuses_an_unknown_comparison():
    with pytest.raises(ValueError):
        Target(">", 1)


def test_a_threshold_target_refuses_to_be_made_without_a_value():
    with pytest.raises(ValueError):
        Target("==")


def test_a_figure_without_a_target_passes_when_measured_and_fails_when_missing():
    assert Target.none().met_by(7.63) is True
    assert Target.none().met_by(None) is False
    assert str(Target.none()) == "none"


def test_the_table_marks_a_figure_without_a_target_info_and_prints_counts_as_integers():
    results = [
        report.judge("enrol_burst_sqlite_over_capacity", 0, "seats", Target("==", 0)),
        report.judge("enrol_burst_sqlite_wall_s", 5.25, "s", Target.none()),
        report.judge("enrol_burst_postgresql_wall_s", None, "s", Target.none()),
    ]
    lines = report.format_table(results).splitlines()
    assert " 0 seats" in lines[0]
    assert "target == 0" in lines[0]
    assert lines[0].endswith("PASS")
    assert "5.250 s" in lines[1]
    assert "target none" in lines[1]
    assert lines[1].endswith("INFO")
    assert lines[2].endswith("FAIL")
    assert report.exit_code(results[:2]) == 0
    assert report.exit_code(results) == 1


def test_a_benchmark_that_meets_its_target_but_had_problems_fails():
    result = report.judge(
        "login_burst_median_verify_ms",
        40.0,
        "ms",
        Target("<=", 250),
        {"http_successes": 148},
        problems=["2 of 150 logins failed (HTTP [429])"],
    )
    assert result.passed is False
    assert result.details["problems"] == ["2 of 150 logins failed (HTTP [429])"]
    assert result.details["http_successes"] == 148


def test_a_benchmark_that_meets_its_target_without_problems_passes_and_lists_none():
    result = report.judge("home_throughput_ratio", 0.12, "ratio", Target(">=", 0.1), {})
    assert result.passed is True
    assert "problems" not in result.details


def test_the_table_prints_one_line_per_benchmark_with_value_target_and_verdict():
    results = [
        report.judge("home_throughput_ratio", 0.1234, "ratio", Target(">=", 0.1)),
        report.judge("login_burst_median_verify_ms", 312.4, "ms", Target("<=", 250)),
    ]
    lines = report.format_table(results).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("home_throughput_ratio ")
    assert "0.123 ratio" in lines[0]
    assert "target >= 0.1" in lines[0]
    assert lines[0].endswith("PASS")
    assert "312 ms" in lines[1]
    assert "target <= 250" in lines[1]
    assert lines[1].endswith("FAIL")
    # Names are padded so the values line up.
    assert lines[0].index("0.123") + len("0.123") == lines[1].index("312") + len("312")


def test_the_table_shows_the_problems_and_a_dash_for_a_missing_value():
    result = report.judge(
        "home_throughput_ratio", None, "ratio", Target(">=", 0.1), problems=["servers: no start"]
    )
    line = report.format_table([result])
    assert "—" in line
    assert line.endswith("FAIL  (servers: no start)")


def test_results_json_lists_name_measured_unit_target_passed_and_details(tmp_path):
    results = [
        report.judge("home_throughput_ratio", 0.12, "ratio", Target(">=", 0.1), {"pairs": []}),
        report.judge("login_burst_median_verify_ms", None, "ms", Target("<=", 250), {}, ["x"]),
    ]
    path = tmp_path / "results.json"
    report.write_json(results, path)
    assert json.loads(path.read_text(encoding="utf-8")) == [
        {
            "name": "home_throughput_ratio",
            "measured": 0.12,
            "unit": "ratio",
            "target": ">= 0.1",
            "passed": True,
            "details": {"pairs": []},
        },
        {
            "name": "login_burst_median_verify_ms",
            "measured": None,
            "unit": "ms",
            "target": "<= 250",
            "passed": False,
            "details": {"problems": ["x"]},
        },
    ]


def test_the_exit_code_is_1_when_any_benchmark_fails_or_none_ran():
    passing = report.judge("a", 1.0, "ms", Target("<=", 2))
    failing = report.judge("b", 3.0, "ms", Target("<=", 2))
    assert report.exit_code([passing]) == 0
    assert report.exit_code([passing, failing]) == 1
    assert report.exit_code([]) == 1


# The streaming benchmark's HTTP/SSE reader (bench/stream_bench.py) -------------------


def _load_stream_bench():
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:  # bench/ is imported as a package from the repository root
        sys.path.insert(0, root)
    import bench.stream_bench

    return bench.stream_bench


def _feed_in_pieces(parser, data: bytes, size: int) -> list:
    events = []
    for start in range(0, len(data), size):
        events += parser.feed(data[start : start + size])
    return events


_SSE_BODY = (
    'event: start\ndata: {"message_id": 7}\n\n'
    'event: delta\ndata: {"text": "안녕"}\n\n'
    'event: done\ndata: {"message_id": 7}\n\n'
).encode()


def _chunked(body: bytes, size: int) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    framed = b"".join(f"{len(p):X};ext=1\r\n".encode() + p + b"\r\n" for p in pieces)
    return framed + b"0\r\n\r\n"


@pytest.mark.parametrize("chunk", [5, 17])
@pytest.mark.parametrize("piece", [1, 3, 7, 1000])
def test_the_stream_reader_decodes_chunked_server_sent_events_cut_anywhere(piece, chunk):
    stream_bench = _load_stream_bench()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    parser = stream_bench.ResponseParser()
    events = _feed_in_pieces(parser, head + _chunked(_SSE_BODY, chunk), piece)
    assert parser.status == 200
    assert parser.complete
    assert parser.keep_alive
    assert [name for name, _data in events] == ["start", "delta", "done"]
    assert json.loads(events[1][1]) == {"text": "안녕"}


def test_the_stream_reader_is_not_complete_before_the_last_chunk():
    stream_bench = _load_stream_bench()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    parser = stream_bench.ResponseParser()
    events = parser.feed(head + _chunked(_SSE_BODY, 5)[:-5])
    assert [name for name, _data in events] == ["start", "delta", "done"]
    assert not parser.complete


def test_the_stream_reader_reads_a_sized_json_answer_and_a_body_ending_with_the_connection():
    stream_bench = _load_stream_bench()
    sized = stream_bench.ResponseParser()
    body = b'{"message": "x"}'
    head = f"HTTP/1.1 409 CONFLICT\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    assert sized.feed(head.encode() + body + b"extra") == []
    assert (sized.status, sized.complete, sized.keep_alive) == (409, True, False)
    assert bytes(sized.body) == body

    until_close = stream_bench.ResponseParser()
    until_close.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + _SSE_BODY)
    assert not until_close.complete
    until_close.eof()
    assert until_close.complete
    assert bytes(until_close.body) == _SSE_BODY


def test_a_request_carries_its_length_and_headers():
    stream_bench = _load_stream_bench()
    raw = stream_bench.request_bytes(8000, "POST", "/x", {"X-CSRFToken": "t"}, b"{}")
    assert raw.startswith(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert b"X-CSRFToken: t\r\n" in raw
    assert raw.endswith(b"Content-Length: 2\r\n\r\n{}")


def test_a_skipped_benchmark_shows_its_reason_and_does_not_fail_the_run():
    results = [
        report.judge("import_preview_20000_sqlite_s", 1.9, "s", Target("<=", 5)),
        report.skipped(
            "import_preview_20000_postgresql_s", "s", Target("<=", 5), "PostgreSQL unreachable"
        ),
    ]
    lines = report.format_table(results).splitlines()
    assert "SKIP" in lines[1] and "PostgreSQL unreachable" in lines[1]
    assert "FAIL" not in lines[1]
    assert report.exit_code(results) == 0
    assert results[1].as_json()["skipped"] is True
    assert "skipped" not in results[0].as_json()

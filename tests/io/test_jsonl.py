"""Append-only JSON lines survive a crash that tears the last line."""

from __future__ import annotations

from artgan.io.jsonl import append_jsonl, read_jsonl


def test_a_torn_last_line_is_skipped_and_the_next_row_starts_a_new_line(tmp_path):
    log = tmp_path / "metrics.jsonl"
    append_jsonl(log, {"step": 1, "loss": 0.5})
    append_jsonl(log, {"step": 2, "loss": 0.4})
    with open(log, "ab") as f:
        f.write(b'{"step": 3, "lo')  # the process died mid-write
    assert read_jsonl(log) == [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.4}]
    append_jsonl(log, {"step": 3, "loss": 0.3})
    assert [r["step"] for r in read_jsonl(log)] == [1, 2, 3]
    assert log.read_text().splitlines()[2] == '{"step": 3, "lo'  # kept, on its own line


def test_non_objects_bad_bytes_and_a_missing_file(tmp_path):
    log = tmp_path / "x.jsonl"
    assert read_jsonl(log) == []
    log.write_bytes(b'[1, 2]\n\xff\xfe{"a": 1}\n\n{"b": NaN}\n')
    rows = read_jsonl(log)
    assert rows[-1]["b"] != rows[-1]["b"]  # NaN is read back (a diverged loss is logged)
    assert len(rows) == 1

"""The fault run's one-time-events invariant names the export and the event it found miscounted."""

from bench.faults_checks import ARTIFACTS_PER_PACKAGE, ONCE_EVENTS, Evidence, check_all


def _log(*extra: str) -> tuple[list[int], list[str]]:
    types = [*ONCE_EVENTS, *["CUSTOMS_ARTIFACT_GENERATED"] * ARTIFACTS_PER_PACKAGE]
    types += ["BROKER_ACKNOWLEDGED", "CUSTOMS_RELEASED", *extra]
    return list(range(1, len(types) + 1)), types


def _once(events: dict[str, tuple[list[int], list[str]]]) -> tuple[str, bool]:
    ev = Evidence(dict.fromkeys(events, "webhook"), {}, events, {}, [], {})
    [check] = [c for c in check_all(ev, launched=0, in_account=0) if c.name.startswith("one-time")]
    return check.observed, check.ok


def test_every_one_time_event_once_holds() -> None:
    assert _once({"exp_a": _log(), "exp_b": _log("ENTRY_FILED")}) == ("2/2", True)


def test_a_final_word_twice_is_named_with_its_export() -> None:
    observed, ok = _once({"exp_a": _log(), "exp_b": _log("BROKER_ACCEPTED")})
    assert not ok
    assert observed == "1/2 (exp_b: BROKER_ACCEPTED ×1, CUSTOMS_RELEASED ×1)"


def test_a_once_event_twice_is_named() -> None:
    observed, ok = _once({"exp_a": _log("EXPORT_EXECUTED")})
    assert (observed, ok) == ("0/1 (exp_a: EXPORT_EXECUTED ×2)", False)

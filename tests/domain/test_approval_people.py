"""A decision by a person signed in with OpenID Connect names them (domain/approval.py); one by a
key reads and writes as it always did, so recorded histories and stored rows keep their shape."""

from datetime import UTC, datetime

from domain.approval import Approver, Rejecter, person_actor, person_label

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_persons_approval_names_the_subject_name_and_email() -> None:
    label = person_label("u-123", "Dana Diaz", "dana@example.test")
    assert label == "Dana Diaz <dana@example.test>"
    approver = Approver(key_id=person_actor("u-123"), label=label, at=AT)
    assert approver.key_id == "oidc:u-123"
    assert (approver.subject, approver.name, approver.email) == (
        "u-123",
        "Dana Diaz",
        "dana@example.test",
    )
    wire = approver.model_dump(mode="json")
    assert wire["subject"] == "u-123"
    assert wire["email"] == "dana@example.test"
    assert Approver.model_validate(wire) == approver


def test_a_person_known_by_part_of_it() -> None:
    only_mail = Rejecter(key_id="oidc:u-1", label=person_label("u-1", None, "a@b.test"), at=AT)
    assert (only_mail.name, only_mail.email) == (None, "a@b.test")
    only_name = Rejecter(key_id="oidc:u-1", label=person_label("u-1", "Ann Lee", None), at=AT)
    assert (only_name.name, only_name.email) == ("Ann Lee", None)
    nobody = Approver(key_id="oidc:u-1", label=person_label("u-1", None, None), at=AT)
    assert (nobody.subject, nobody.name, nobody.email) == ("u-1", None, None)


def test_a_keys_approval_is_unchanged_on_the_wire() -> None:
    approver = Approver(key_id="key_abc", label="Dana Diaz", at=AT, comment="ok")
    assert approver.subject is None
    assert set(approver.model_dump(mode="json")) == {"keyId", "label", "at", "comment"}
    stored = {"keyId": "key_abc", "label": None, "at": "2026-03-01T12:00:00Z", "reason": "no"}
    assert Rejecter.model_validate(stored).model_dump(mode="json") == stored

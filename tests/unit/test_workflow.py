"""The review state machine: every (state, action) pair is either a listed move or refused."""

from __future__ import annotations

import itertools

import pytest

from app.exceptions import Conflict
from app.review.workflow import TRANSITIONS, Action, InvalidTransition, State, advance, allowed

EXPECTED = {
    (State.DRAFT, Action.REVISE): State.DRAFT,
    (State.DRAFT, Action.SUBMIT): State.IN_REVIEW,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.DRAFT, Action.IMPORT): State.PUBLISHED,
    (State.IN_REVIEW, Action.REVISE): State.IN_REVIEW,
    (State.IN_REVIEW, Action.APPROVE): State.APPROVED,
    (State.IN_REVIEW, Action.REQUEST_CHANGES): State.CHANGES_REQUESTED,
    (State.IN_REVIEW, Action.WITHDRAW): State.WITHDRAWN,
    (State.CHANGES_REQUESTED, Action.REVISE): State.CHANGES_REQUESTED,
    (State.CHANGES_REQUESTED, Action.SUBMIT): State.IN_REVIEW,
    (State.CHANGES_REQUESTED, Action.APPROVE): State.APPROVED,
    (State.CHANGES_REQUESTED, Action.UNBLOCK): State.IN_REVIEW,
    (State.CHANGES_REQUESTED, Action.WITHDRAW): State.WITHDRAWN,
    (State.APPROVED, Action.REVISE): State.IN_REVIEW,
    (State.APPROVED, Action.REQUEST_CHANGES): State.CHANGES_REQUESTED,
    (State.APPROVED, Action.UNBLOCK): State.IN_REVIEW,
    (State.APPROVED, Action.PUBLISH): State.PUBLISHED,
    (State.APPROVED, Action.WITHDRAW): State.WITHDRAWN,
    (State.WITHDRAWN, Action.REOPEN): State.DRAFT,
    (State.PUBLISHED, Action.SUPERSEDE): State.SUPERSEDED,
}


def test_transition_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "action"), list(itertools.product(State, Action)))
def test_every_pair_moves_or_is_refused_with_a_message(state: State, action: Action) -> None:
    if (state, action) in EXPECTED:
        assert advance(state, action) is EXPECTED[(state, action)]
        assert allowed(state, action)
    else:
        assert not allowed(state, action)
        with pytest.raises(InvalidTransition) as caught:
            advance(state, action)
        assert isinstance(caught.value, Conflict)  # the API answers 409
        assert state.value.replace("_", " ") in caught.value.message
        assert caught.value.message.endswith(".")


def test_advance_accepts_stored_string_states() -> None:
    assert advance("draft", Action.SUBMIT) is State.IN_REVIEW


@pytest.mark.parametrize("final", [State.PUBLISHED, State.SUPERSEDED])
def test_finished_states_cannot_be_withdrawn_or_revised(final: State) -> None:
    for action in (Action.WITHDRAW, Action.REVISE, Action.SUBMIT):
        assert not allowed(final, action)

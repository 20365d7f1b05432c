"""Inputs of the mutations that create and edit sessions and report comments."""

from __future__ import annotations

import strawberry

from gateway.errors import BadRequest
from gateway.ids import Activity
from gateway.uploads import (
    EXERCISES,
    NewSession,
    check_exercise,
    check_number,
    check_title,
)

__all__ = [
    "CreateJumpingSessionInput",
    "CreateRunningSessionInput",
    "CreateSessionInput",
    "CreateWeightliftingSessionInput",
    "ReportCommentInput",
]

_TITLE = "The session's title; the upstream picks one (activity, date, time) when omitted."


@strawberry.input(description="Settings of a new jumping session.")
class CreateJumpingSessionInput:
    title: str | None = strawberry.field(default=None, description=_TITLE)


@strawberry.input(description="Settings of a new running session.")
class CreateRunningSessionInput:
    title: str | None = strawberry.field(default=None, description=_TITLE)
    incline_degrees: float | None = strawberry.field(
        default=None,
        description="The treadmill's incline in degrees, from -45 to 45; omit for level ground.",
    )


@strawberry.input(description="Settings of a new weightlifting session.")
class CreateWeightliftingSessionInput:
    exercise: str = strawberry.field(
        description=f"The lift: one of {', '.join(f'`{e}`' for e in EXERCISES)}."
    )
    title: str | None = strawberry.field(default=None, description=_TITLE)
    barbell_mass: float | None = strawberry.field(
        default=None,
        description=(
            "The barbell's mass, more than 0 and at most 1000, in the athlete's unit "
            "(kg unless their account uses lb). The upstream assumes 100 kg when omitted."
        ),
    )


@strawberry.input(
    one_of=True,
    description="The new session's activity with its settings: set exactly one field.",
)
class CreateSessionInput:
    jumping: CreateJumpingSessionInput | None = strawberry.field(
        default=strawberry.UNSET, description="A vertical-jump session."
    )
    running: CreateRunningSessionInput | None = strawberry.field(
        default=strawberry.UNSET, description="A running session."
    )
    weightlifting: CreateWeightliftingSessionInput | None = strawberry.field(
        default=strawberry.UNSET, description="A weightlifting session."
    )

    def checked(self) -> NewSession:
        """The upload form's fields, or ``BadRequest`` naming the field at fault."""
        if isinstance(self.jumping, CreateJumpingSessionInput):
            return NewSession(
                Activity.JUMPING, title=check_title(self.jumping.title, "input.jumping.title")
            )
        if isinstance(self.running, CreateRunningSessionInput):
            where = "input.running"
            return NewSession(
                Activity.RUNNING,
                title=check_title(self.running.title, f"{where}.title"),
                incline_degrees=check_number(
                    self.running.incline_degrees, f"{where}.inclineDegrees", low=-45, high=45
                ),
            )
        if isinstance(self.weightlifting, CreateWeightliftingSessionInput):
            where = "input.weightlifting"
            lift = self.weightlifting
            return NewSession(
                Activity.WEIGHTLIFTING,
                title=check_title(lift.title, f"{where}.title"),
                exercise=check_exercise(lift.exercise, f"{where}.exercise"),
                barbell_mass=check_number(
                    lift.barbell_mass, f"{where}.barbellMass", low=0, high=1000, low_open=True
                ),
            )
        # @oneOf makes this unreachable for a valid document; kept for direct calls.
        raise BadRequest("Set one of `jumping`, `running` or `weightlifting`.", field="input")


@strawberry.input(description="A report comment to set, in one or both languages.")
class ReportCommentInput:
    name: str = strawberry.field(
        description="The comment's key, e.g. `text_summary` or `text_contact_angle`."
    )
    en: str | None = strawberry.field(
        default=None, description="The English text; omit to keep the current one."
    )
    ru: str | None = strawberry.field(
        default=None, description="The Russian text; omit to keep the current one."
    )

"""The safety screen: how worried to be about a message, in three levels (docs/safety.md).

`assess(text, language)` is the one entry point; it is pure, Telegram-free and never copies
the text. `bot.services.crisis_match` finds the cues (bot/resources/crisis_cues.yaml): clinical
concepts such as a wish to be dead, a method or means, a plan, an act, a threat by the
partner, strangulation, control. This module decides what they mean together:

- **alert**: clear current risk. An explicit suicidal statement, self-harm, the partner's
  violence, strangulation, forced sex, harm to a child; or a softer cue (a wish to be gone,
  a goodbye) that comes with a means, a plan, a time or an act; or a means word together
  with intent, a quantity, a time or an act ("i swallowed what was left of my pills").
  This follows the Columbia screener's steps (wish, thoughts, method, intent, plan,
  preparation, behaviour) and Crisis Text Line's finding that means and timing words
  predict imminent risk more than the word "suicide".
- **check_in**: possible risk a person should be asked about: passive wishes, being a
  burden, goodbyes, giving things away, not feeling safe, fear of the partner, control,
  monitoring, isolation (the Danger Assessment's items), an urge to hurt someone, a method
  word in the first person with nothing else.
- **none**: everything else, including what a suppressor explains: media, prevention work,
  and a past that is dated and explicitly resolved. A suppressor never cancels a cue that
  is about the writer now.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.services import crisis_model
from bot.services.crisis_match import FIRST_PERSON, CueMatcher, Hit, clauses, compile_cues

CUES_FILE = Path(__file__).resolve().parent.parent / "resources" / "crisis_cues.yaml"


class Level(StrEnum):
    NONE = "none"
    CHECK_IN = "check_in"
    ALERT = "alert"


class Category(StrEnum):
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    ABUSE = "abuse"
    FEAR = "fear"
    HARM_TO_OTHERS = "harm_to_others"


class Role(StrEnum):
    """What a modifier cue adds: it is never a risk on its own."""

    MEANS = "means"
    STRONG_MEANS = "strong_means"
    INTENT = "intent"
    TIME = "time"
    QUANTITY = "quantity"
    ACT = "act"
    MEDIA = "media"
    PREVENTION = "prevention"
    PAST = "past"
    RESOLVED = "resolved"
    PLAN = "plan"
    WEAPON = "weapon"


@dataclass(frozen=True, slots=True)
class Assessment:
    """How worried to be, about what, and why: never a copy of the text."""

    level: Level
    category: Category | None = None
    reason: str | None = None  # the rule that decided, e.g. "means+intent" or a cue rule


NOTHING = Assessment(Level.NONE)
_ORDER = {Level.NONE: 0, Level.CHECK_IN: 1, Level.ALERT: 2}
# Softer self-directed cues that become an alert with any of these in the same message.
_ESCALATES = (Role.STRONG_MEANS, Role.MEANS, Role.ACT, Role.TIME, Role.PLAN)
# The Danger Assessment: a weapon in a message about fear, control or threats is an alert.
_PARTNER_RISK = frozenset({Category.FEAR, Category.ABUSE, Category.VIOLENCE})
_SELF_DIRECTED = frozenset({Category.SUICIDE, Category.SELF_HARM})
_PARTNER = frozenset(
    {"he", "she", "him", "her", "his", "hes", "shes", "partner", "husband", "wife"}
    | {"boyfriend", "girlfriend", "bf", "gf", "ex", "spouse", "el", "ella", "novio", "novia"}
    | {"esposo", "esposa", "marido", "mujer", "pareja"}
)


@dataclass(frozen=True)
class Cue:
    name: str
    category: Category | None
    level: Level
    role: Role | None
    field: bool = False  # the wide net: only in a message about the writer or the partner


class Screen:
    """The compiled cues and the rules that combine them."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.matcher: CueMatcher = compile_cues(data)
        self.cues = {
            name: Cue(
                name=name,
                category=Category(spec["category"]) if spec.get("category") else None,
                level=Level(spec.get("level", "none")),
                role=Role(spec["role"]) if spec.get("role") else None,
                field=bool(spec.get("field", False)),
            )
            for name, spec in data["cues"].items()
        }

    def assess(self, text: str) -> Assessment:
        words = clauses(text)  # normalised once, for the matcher and the rules
        hits = self.matcher.hits(words)
        if not hits:
            return NOTHING
        roles: dict[Role, set[int]] = {}
        risks: list[tuple[Cue, Hit]] = []
        for hit in hits:
            cue = self.cues[hit.cue]
            if cue.role is not None:
                roles.setdefault(cue.role, set()).add(hit.clause)
            if cue.level is not Level.NONE:
                risks.append((cue, hit))
        first_person = any(FIRST_PERSON.intersection(clause) for clause in words)
        about_us = first_person or any(_PARTNER.intersection(clause) for clause in words)
        risks = [
            (cue, hit)
            for cue, hit in risks
            if not _suppressed(hit, roles) and (about_us or not cue.field)
        ]
        best = NOTHING
        for cue, hit in risks:
            best = _worse(best, _level_of(cue, hit, roles))
        means = _means_assessment(roles, first_person)
        return _worse(best, means)


def _suppressed(hit: Hit, roles: dict[Role, set[int]]) -> bool:
    """Media, prevention work, or a dated past that is explicitly over: not current risk."""
    past, resolved = roles.get(Role.PAST, set()), roles.get(Role.RESOLVED)
    if resolved and past and (hit.clause in past or hit.clause - 1 in past):
        return True  # "years ago I tried to end it; therapy helped and I'm okay now"
    if hit.first_person:
        # About the writer, now ("I want to kill myself", "he hits me"): never explained
        # away by a film or a training course in the same message.
        return False
    return bool(roles.get(Role.MEDIA) or roles.get(Role.PREVENTION))


def _level_of(cue: Cue, hit: Hit, roles: dict[Role, set[int]]) -> Assessment:
    assert cue.category is not None
    if cue.level is Level.CHECK_IN and cue.category in _SELF_DIRECTED and not cue.field:
        found = [role for role in _ESCALATES if role in roles]
        if found:  # a wish or a goodbye, with a means, a time or an act
            return Assessment(Level.ALERT, cue.category, f"{cue.name}+{found[0].value}")
    if cue.level is Level.CHECK_IN and cue.category in _PARTNER_RISK and Role.WEAPON in roles:
        return Assessment(Level.ALERT, cue.category, f"{cue.name}+weapon")
    armed = Role.STRONG_MEANS in roles or Role.WEAPON in roles or Role.PLAN in roles
    if (
        cue.level is Level.CHECK_IN
        and cue.category is Category.HARM_TO_OTHERS
        and (armed or (Role.INTENT in roles and Role.TIME in roles))
    ):
        return Assessment(Level.ALERT, cue.category, f"{cue.name}+means")
    return Assessment(cue.level, cue.category, hit.rule)


def _means_assessment(roles: dict[Role, set[int]], first_person: bool) -> Assessment:
    """A method or means, in the first person, with intent, a quantity, a time or an act."""
    strong, weak = roles.get(Role.STRONG_MEANS), roles.get(Role.MEANS)
    explained = roles.get(Role.MEDIA) or roles.get(Role.PREVENTION)
    companions = companions_of(roles)
    doing = set(companions) - {Role.QUANTITY}  # what the writer does, not just a count
    if not (strong or weak) or (explained and not doing):
        return NOTHING
    if roles.get(Role.PAST) and roles.get(Role.RESOLVED):
        return NOTHING
    if strong and (first_person or companions):
        reason = "strong_means" + (f"+{companions[0].value}" if companions else "")
        return Assessment(Level.ALERT if companions else Level.CHECK_IN, Category.SUICIDE, reason)
    if not weak or not first_person:
        return NOTHING
    found = set(companions)
    if Role.QUANTITY in found and found & {Role.ACT, Role.INTENT, Role.TIME}:
        return Assessment(Level.ALERT, Category.SUICIDE, "means+" + "+".join(companions))
    if Role.QUANTITY in found or {Role.TIME, Role.ACT, Role.INTENT} <= found:
        return Assessment(Level.CHECK_IN, Category.SUICIDE, "means+" + "+".join(companions))
    return NOTHING


def companions_of(roles: dict[Role, set[int]]) -> list[Role]:
    return [role for role in (Role.INTENT, Role.QUANTITY, Role.TIME, Role.ACT) if role in roles]


def _worse(a: Assessment, b: Assessment) -> Assessment:
    return b if _ORDER[b.level] > _ORDER[a.level] else a


@lru_cache(maxsize=1)
def default_screen() -> Screen:
    with CUES_FILE.open(encoding="utf-8") as handle:
        return Screen(yaml.safe_load(handle))


def assess(text: str, language: str | None = None) -> Assessment:
    """How worried to be about `text` (any supported language; `language` is a hint)."""
    del language  # every language's cues apply: people switch languages mid-message
    by_rules = default_screen().assess(text)
    model = crisis_model.default_model()
    if model is None or by_rules.level is Level.ALERT:
        return by_rules
    # The model can only raise the level: a miss is the costly error here, and the
    # rules' reasons (means + intent, ...) are kept whenever they decide.
    opinion = model.opinion(text)
    level = Level(model.level(opinion))
    if _ORDER[level] <= _ORDER[by_rules.level]:
        return by_rules
    return Assessment(level, by_rules.category or Category(opinion.category), "model")

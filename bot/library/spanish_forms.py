"""Spotting gendered Spanish addressed to the reader or partner (a short, curated list).

Twofold doesn't know anyone's gender, so Spanish texts avoid adjectives that mark
it ("que te sientas escuchado"). These are warnings for an author, not errors:
the list is small on purpose, and a match may be fine in context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

__all__ = ["gendered_forms"]

# Adjective stem (without the o/a ending) -> a neutral way to say it.
_ADJECTIVES: Final[dict[str, str]] = {
    "vist": "«sentir que te ven»",
    "escuchad": "«sentir que te escuchan»",
    "comprendid": "«sentir que te comprenden»",
    "entendid": "«sentir que te entienden»",
    "valorad": "«sentir que te valoran»",
    "apreciad": "«sentir que te aprecian»",
    "querid": "«sentir que te quieren»",
    "acompañad": "«sentir compañía»",
    "aceptad": "«sentir aceptación»",
    "respetad": "«sentir respeto»",
    "ignorad": "«sentir que no te toman en cuenta»",
    "juzgad": "«sentir que te juzgan»",
    "herid": "«sentir dolor»",
    "cansad": "«con cansancio»",
    "agotad": "«sin energía»",
    "abrumad": "«con agobio»",
    "preocupad": "«con preocupación»",
    "enojad": "«con enojo»",
    "molest": "«con molestia»",
    "frustrad": "«con frustración»",
    "nervios": "«con nervios»",
    "ansios": "«con ansiedad»",
    "tranquil": "«con calma»",
    "contento": "«con alegría»",
    "list": "«cuando tengas ganas» o «cuando puedas»",
    "segur": "«con seguridad» o «tener la certeza»",
    "sol": "«sin compañía» o «en soledad»",
    "dispuest": "«con disposición» o «si te animas»",
    "avergonzad": "«con vergüenza»",
    "orgullos": "«con orgullo»",
}
# Verbs that make what follows describe the reader (tú)...
_ABOUT_YOU: Final = (
    r"te\s+(?:sientes|sientas|sentiste|sentías|notas|ves|quedas|quedes)"
    r"|sentirte|notarte|verte|quedarte"
    r"|estás|estés|estabas|estuviste|eres|seas|eras|fuiste"
)
# ... or, right after a name ("que {{ partner }} se sienta visto"), the partner. Without
# the name, "si no se siente seguro" is about a situation and fine.
_ABOUT_THEM: Final = (
    # Not "con {{ partner }} no es seguro": there the name isn't the subject.
    "".join(rf"(?<!\b{word} )" for word in ("a", "con", "de", "para", "por", "sin", "hacia"))
    + r"X\s+(?:no\s+|ya\s+|también\s+)?"
    r"(?:se\s+(?:siente|sienta|sintió|sentía|nota|ve|queda|quede)|está|esté|estaba|estuvo|es|sea)"
)
_DEGREE: Final = r"(?:\s+(?:muy|más|menos|tan|un\s+poco|algo|demasiado|bastante|realmente))?"
_STEMS: Final = "|".join(sorted(_ADJECTIVES, key=len, reverse=True))

_ADDRESSED: Final = re.compile(
    rf"(?<!\w)(?P<phrase>(?:{_ABOUT_YOU}|{_ABOUT_THEM}){_DEGREE}\s+(?P<stem>{_STEMS})(?:o|a)s?)\b",
    re.IGNORECASE,
)
# "bienvenido/a", "cansado(a)", "visto/vista", "visto o vista", "tod@s", "todxs"
_PAIRED: Final = re.compile(
    r"\b(?P<phrase>\w+os?\s*/\s*as?"
    r"|\w+os?\s*\(\s*as?\s*\)"
    r"|(?P<stem>\w+)o(?P<plural>s?)\s*(?:/|\so\s)\s*(?P=stem)a(?P=plural)"
    r"|\w+@s?|\w+xs)(?!\w)",
    re.IGNORECASE,
)
# A greeting: "Bienvenida, {{ recipient }}", "¡Bienvenidos!", "Querido {{ partner }}";
# not "las preguntas son bienvenidas".
_WELCOME: Final = re.compile(
    r"(?P<phrase>\b(?:bienvenid|querid)[oa]s?)(?=\s*(?:[,!]|X|a\s))"
    r"|(?<=¡)(?P<exclaimed>bienvenid[oa]s?)\b",
    re.IGNORECASE,
)
_TEMPLATE: Final = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)


def gendered_forms(text: str) -> Iterator[str]:
    """Warnings for gendered forms in one Spanish text (templates and HTML tags ignored)."""
    plain = re.sub(r"<[^>]*>", " ", _TEMPLATE.sub(" X ", text))
    plain = re.sub(r"[ \t]+", " ", plain)
    seen: set[str] = set()

    def once(phrase: str, message: str) -> Iterator[str]:
        key = phrase.lower()
        if key not in seen:
            seen.add(key)
            yield message

    for match in _PAIRED.finditer(plain):
        phrase = " ".join(match["phrase"].split())
        yield from once(
            phrase,
            f"«{phrase}» names both genders; a neutral wording reads better "
            "(e.g. «te damos la bienvenida», «cada quien», «sentir que te escuchan»)",
        )
    for match in _WELCOME.finditer(plain):
        phrase = match["phrase"] or match["exclaimed"]
        if any(phrase.lower() in earlier for earlier in seen):
            continue  # already part of "bienvenido/a"
        yield from once(
            phrase,
            f"«{phrase}» marks the reader's gender; try «te damos la bienvenida», "
            "«hola», or the name alone",
        )
    for match in _ADDRESSED.finditer(plain):
        phrase = " ".join(match["phrase"].split()).replace("X", "{{ … }}", 1)
        tip = _ADJECTIVES[match["stem"].lower()]
        yield from once(
            phrase,
            f"«{phrase}» marks the gender of the person it describes; try {tip}",
        )

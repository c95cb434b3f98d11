"""The archive text layout: one article per file, as the NOS archive exports it.

    Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil     ← title
    2022-10-12T07:00:02+0200                                              ← published
    https://nos.nl/nieuwsuur/artikel/2448020-…                            ← url
                                                                          ← blank
    Er zijn nog genoeg landen die …                                       ← body, one paragraph a line
    …
    Nieuwsuur                                                             ← program label
    Buitenland                                                            ← category label
    Deel artikel:                                                         ← share-widget residue

The body keeps its paragraph breaks as ``\\n``; blank lines and surrounding whitespace are dropped.
"""

from __future__ import annotations

# Lines the share widgets leave at the end of a page, compared without case and trailing colon.
RESIDUE = frozenset({"deel artikel", "deel dit artikel", "delen", "lees ook", "lees meer"})

# NOS programmes: a lone label that is one of these is the program, any other lone label the category.
NOS_PROGRAMMES = frozenset(
    name.lower()
    for name in (
        "Nieuwsuur",
        "NOS Journaal",
        "NOS op 3",
        "Jeugdjournaal",
        "NOS Jeugdjournaal",
        "NOS Stories",
        "Nieuws en Co",
        "NOS Sport",
        "Studio Sport",
        "Op1",
        "Buitenhof",
        "Met het Oog op Morgen",
        "NOS Radio 1 Journaal",
        "Radio 1 Journaal",
    )
)

MAX_LABELS = 2  # program and category
# A body line ending like this is prose (a colon introduces an embedded video or tweet), not a label.
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", "'")


def _is_residue(line: str) -> bool:
    return line.rstrip(":").strip().lower() in RESIDUE


def _is_label(line: str) -> bool:
    return (
        len(line) <= 40
        and len(line.split()) <= 5
        and not line.endswith(_SENTENCE_END)
        and (line[0].isupper() or line[0].isdigit())
    )


def parse_archive_text(text: str) -> dict[str, str | None]:
    """Title, published, url, text, program and category of one article, as the strings found."""
    lines = [line.strip() for line in text.split("\n")]
    title, published, url = [*lines, "", "", ""][:3]
    body = [line for line in lines[3:] if line]

    # From the end: drop widget residue, take up to two labels, stop at the first line of prose.
    # At least one body line is always left, so a one-line article cannot lose its text to a label.
    labels: list[str] = []
    end = len(body)
    while end > 0:
        line = body[end - 1]
        if _is_residue(line):
            end -= 1
        elif len(labels) < MAX_LABELS and end > 1 and _is_label(line):
            labels.insert(0, line)
            end -= 1
        else:
            break

    program = category = None
    if len(labels) == 2:
        program, category = labels  # NOS convention: programme first, then section
    elif labels and labels[0].lower() in NOS_PROGRAMMES:
        program = labels[0]
    elif labels:
        category = labels[0]
    return {
        "title": title,
        "published": published or None,
        "url": url or None,
        "text": "\n".join(body[:end]),
        "program": program,
        "category": category,
    }

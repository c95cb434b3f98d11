"""The Dutch words that introduce reported speech (``spec/quotes.md``, "Cues that count").

Written out here because no Dutch lexicon with these distinctions can be downloaded: the verb
forms are the finite forms and participles of each cue verb, split by what they may introduce.
"""

from __future__ import annotations

# Communication verbs: they report a statement. lemma -> forms (present, past, participle).
SPEECH: dict[str, tuple[str, ...]] = {
    "zeggen": ("zeg", "zegt", "zeggen", "zei", "zeiden", "gezegd"),
    "stellen": ("stel", "stelt", "stellen", "stelde", "stelden", "gesteld"),
    "verklaren": ("verklaar", "verklaart", "verklaren", "verklaarde", "verklaarden", "verklaard"),
    "melden": ("meld", "meldt", "melden", "meldde", "meldden", "gemeld"),
    "vertellen": ("vertel", "vertelt", "vertellen", "vertelde", "vertelden", "verteld"),
    "schrijven": ("schrijf", "schrijft", "schrijven", "schreef", "schreven", "geschreven"),
    "benadrukken": ("benadrukt", "benadrukken", "benadrukte", "benadrukten"),
    "onderstrepen": ("onderstreept", "onderstrepen", "onderstreepte", "onderstreepten"),
    "waarschuwen": ("waarschuwt", "waarschuwen", "waarschuwde", "waarschuwden", "gewaarschuwd"),
    "ontkennen": ("ontkent", "ontkennen", "ontkende", "ontkenden", "ontkend"),
    "erkennen": ("erkent", "erkennen", "erkende", "erkenden", "erkend"),
    "beweren": ("beweert", "beweren", "beweerde", "beweerden", "beweerd"),
    "concluderen": ("concludeert", "concluderen", "concludeerde", "concludeerden", "geconcludeerd"),
    "betogen": ("betoogt", "betogen", "betoogde", "betoogden", "betoogd"),
    "verzekeren": ("verzekert", "verzekeren", "verzekerde", "verzekerden", "verzekerd"),
    "bevestigen": ("bevestigt", "bevestigen", "bevestigde", "bevestigden", "bevestigd"),
    "beloven": ("belooft", "beloven", "beloofde", "beloofden", "beloofd"),
    "antwoorden": ("antwoordt", "antwoorden", "antwoordde", "antwoordden", "geantwoord"),
    "reageren": ("reageert", "reageren", "reageerde", "reageerden", "gereageerd"),
    "klagen": ("klaagt", "klagen", "klaagde", "klaagden", "geklaagd"),
    "bepleiten": ("bepleit", "bepleiten", "bepleitte", "bepleitten"),
    "pleiten": ("pleit", "pleiten", "pleitte", "pleitten", "gepleit"),
    "eisen": ("eist", "eisen", "eiste", "eisten", "geëist"),
    "twitteren": (
        "twittert",
        "twitteren",
        "twitterde",
        "twitterden",
        "getwitterd",
        "tweet",
        "tweette",
        "tweetten",
    ),
    "roepen": ("roept", "roepen", "riep", "riepen", "geroepen"),
    "opperen": ("oppert", "opperen", "opperde", "opperden", "geopperd"),
    "suggereren": ("suggereert", "suggereren", "suggereerde", "suggereerden", "gesuggereerd"),
    "verwijten": ("verwijt", "verwijten", "verweet", "verweten"),
    "verduidelijken": ("verduidelijkt", "verduidelijkte"),
    "beschrijven": ("beschrijft", "beschrijven", "beschreef", "beschreven"),
    "oordelen": ("oordeelt", "oordelen", "oordeelde", "oordeelden", "geoordeeld"),
    "hinten": ("hint", "hinten", "hintte", "hintten"),
    "onthullen": ("onthult", "onthullen", "onthulde", "onthulden", "onthuld"),
    # separable verbs in a subordinate clause: "die eerder toegaf …", "nadat hij aangaf …"
    "toegeven": ("toegeeft", "toegaf", "toegaven"),
    "aangeven": ("aangeeft", "aangaf", "aangaven"),
    "aankondigen": ("aankondigt", "aankondigde", "aankondigden"),
    "opmerken": ("opmerkt", "opmerkte", "opmerkten"),
    "toevoegen": ("toevoegt", "toevoegde", "toevoegden"),
    "uitleggen": ("uitlegt", "uitlegde", "uitlegden"),
    "volhouden": ("volhoudt", "volhield", "volhielden"),
    "bekendmaken": ("bekendmaakt", "bekendmaakte", "bekendmaakten"),
    "vaststellen": (),
    "zeggen_toe": (),
}

# Stance verbs: they count when a source states them (a subject that is a source).
STANCE: dict[str, tuple[str, ...]] = {
    "menen": ("meen", "meent", "menen", "meende", "meenden", "gemeend"),
    "denken": ("denk", "denkt", "denken", "dacht", "dachten", "gedacht"),
    "vinden": ("vind", "vindt", "vinden", "vond", "vonden"),
    "verwachten": ("verwacht", "verwachten", "verwachtte", "verwachtten"),
    "vrezen": ("vrees", "vreest", "vrezen", "vreesde", "vreesden"),
    "geloven": ("geloof", "gelooft", "geloven", "geloofde", "geloofden"),
    "verwijten": ("verwijt", "verwijten", "verweet", "verweten"),
    "betwijfelen": ("betwijfelt", "betwijfelen", "betwijfelde", "betwijfelden"),
    "vermoeden": ("vermoedt", "vermoeden", "vermoedde", "vermoedden"),
    "overtuigd": ("overtuigd",),
}

# Separable verbs: (finite forms, particle). "X geeft aan dat", "liet X weten dat", "kondigde aan dat".
SEPARABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("geef", "geeft", "geven", "gaf", "gaven"), "aan"),
    (("geef", "geeft", "geven", "gaf", "gaven"), "toe"),
    (("kondig", "kondigt", "kondigen", "kondigde", "kondigden"), "aan"),
    (("merk", "merkt", "merken", "merkte", "merkten"), "op"),
    (("voeg", "voegt", "voegen", "voegde", "voegden"), "toe"),
    (("leg", "legt", "leggen", "legde", "legden"), "uit"),
    (("laat", "laten", "liet", "lieten"), "weten"),
    (("houd", "houdt", "houden", "hield", "hielden"), "vol"),
    (("deel", "deelt", "delen", "deelde", "deelden"), "mee"),
    (("roep", "roept", "roepen", "riep", "riepen"), "op"),
    (("maak", "maakt", "maken", "maakte", "maakten"), "bekend"),
    (("maak", "maakt", "maken", "maakte", "maakten"), "duidelijk"),
    (("stel", "stelt", "stellen", "stelde", "stelden"), "voor"),
    (("stel", "stelt", "stellen", "stelde", "stelden"), "vast"),
    (("licht", "lichten", "lichtte", "lichtten"), "toe"),
    (("wijs", "wijst", "wijzen", "wees", "wezen"), "erop"),
    (("vul", "vult", "vullen", "vulde", "vulden"), "aan"),
    (("zeg", "zegt", "zeggen", "zei", "zeiden"), "toe"),
    (("blijf", "blijft", "blijven", "bleef", "bleven"), "erbij"),
)

SEPARABLE_PARTICIPLES = frozenset(
    {
        "aangegeven", "toegegeven", "aangekondigd", "opgemerkt", "toegevoegd", "uitgelegd",
        "volgehouden", "meegedeeld", "opgeroepen", "bekendgemaakt", "voorgesteld", "vastgesteld",
        "toegelicht", "aangevuld", "toegezegd",
    }
)  # fmt: skip

# Verbs that also attribute a quotation that precedes them ("'...', lacht ze"), not a dat-clause.
AFTER_QUOTE = frozenset(
    {
        "lacht", "lachte", "zucht", "zuchtte", "verzucht", "verzuchtte", "vervolgt", "vervolgde",
        "besluit", "besloot", "knikt", "glimlacht", "grapt", "grapte", "citeert", "citeerde",
        "klinkt", "klonk", "mailt", "mailde", "appt", "appte", "sms't", "vraagt", "vroeg",
        "beaamt", "beaamde", "aldus", "fluistert", "fluisterde", "schreeuwt", "schreeuwde",
        "roept", "riep", "zingt", "zong", "scandeert", "scandeerden", "verklaart", "verduidelijkt",
        "somberde", "sombert", "jubelt", "jubelde", "juicht", "juichte", "moppert", "mopperde",
        "sneert", "sneerde", "briest", "briesde", "benadrukt", "concludeert", "stelt", "oordeelt",
        "oordeelde", "weet", "wist", "erkent", "vult", "legt", "licht", "geeft", "voegt", "laat", "liet",
        "schetst", "schetste", "meldt", "meldde", "tweette", "twittert", "reageert", "reageerde",
    }
)  # fmt: skip

# Verbs whose object may be a quoted fragment of the subject's words: "noemt X 'Y'", "sprak van 'Y'".
NAMING = frozenset(
    {
        "noem", "noemt", "noemen", "noemde", "noemden", "genoemd", "spreekt", "spreken", "sprak",
        "spraken", "gesproken", "betitelt", "betitelde", "omschrijft", "omschreef", "omschreven",
        "beschrijft", "beschreef", "typeert", "typeerde", "kwalificeert", "kwalificeerde",
    }
)  # fmt: skip


def _forms(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {form: lemma for lemma, forms in table.items() for form in forms}


SPEECH_FORMS = _forms(SPEECH)
STANCE_FORMS = _forms(STANCE)
CLAUSE_CUES = {**SPEECH_FORMS, **STANCE_FORMS}
SEPARABLE_FORMS: dict[str, tuple[str, ...]] = {}
for _forms_, _particle in SEPARABLE:
    for _f in _forms_:
        SEPARABLE_FORMS.setdefault(_f, ())
        SEPARABLE_FORMS[_f] += (_particle,)

# Markers: "volgens X ...", "..., aldus X."
MARKERS = frozenset({"volgens", "aldus"})

# "volgens plan" is not a source.
NOT_SOURCES = frozenset(
    {
        "plan", "planning", "schema", "de planning", "de regels", "de wet", "traditie", "de traditie",
        "afspraak", "de afspraak", "verwachting", "de verwachting", "verwachtingen", "schatting",
        "schattingen", "berekeningen", "de berekeningen", "de prognose", "prognoses", "de peiling",
        "de peilingen", "peilingen", "een peiling", "de exitpoll", "de exitpolls", "de cijfers",
        "cijfers", "het boekje", "het protocol", "de statistieken",
    }
)  # fmt: skip

# Determiners that may open a source's noun phrase.
DETERMINERS = frozenset(
    {"de", "het", "een", "die", "deze", "dit", "dat", "zijn", "haar", "hun", "onze", "ons"}
)

PRONOUNS = {"hij": "m", "zij": "f", "ze": "f", "hem": "m", "haar": "f"}
PLURAL_PRONOUNS = frozenset({"zij", "ze", "wij", "we"})
# Pronouns that can be a subject ("haar kandidaat" is a possessive, "hem" an object).
SUBJECT_PRONOUNS = frozenset({"hij", "zij", "ze", "wij", "we"})

# Words that end a source's noun phrase after a cue ("zegt hij tegen de NOS", "zei ze maandag").
PHRASE_ENDERS = frozenset(
    {
        "dat", "die", "om", "omdat", "want", "maar", "tegen", "in", "op", "tijdens", "na", "aan", "met",
        "via", "vanuit", "gisteren", "vandaag", "morgen", "eerder", "later", "ook", "wel", "nog", "dan",
        "daarom", "echter", "namelijk", "desgevraagd", "zelf", "al", "nu", "inmiddels", "vervolgens",
        "daarover", "hierover", "erover", "erbij", "er", "maandag", "dinsdag", "woensdag", "donderdag",
        "vrijdag", "zaterdag", "zondag", "vanochtend", "vanmiddag", "vanavond", "gisteravond",
        "vorige", "afgelopen", "deze", "weten", "niet", "geen", "toen", "toe", "uit", "zich", "het",
        "dit", "wat", "hoe", "of", "als", "nadat", "voordat", "terwijl", "sinds",
        "vorig", "onlangs", "bij", "voor", "over", "door", "zo", "heel", "erg", "stellig", "droog",
        "eens", "steeds", "alleen", "vaak", "ooit", "nooit", "graag", "lachend", "vol", "mee",
        "vast", "bekend", "duidelijk", "erop", "eraan", "ervan", "hoewel", "zoals", "waar",
        "wanneer", "zodat", "opdat", "indien", "tenzij", "mits", "ondanks", "volgens",
    }
)  # fmt: skip

# Words that open an adverbial, never a subject: "Tijdens de zitting zei …", "Dagen later erkende …".
NOT_SUBJECT = frozenset(
    {
        "in", "op", "tijdens", "over", "hoewel", "omdat", "als", "toen", "nadat", "zo", "dagen", "weken",
        "maanden", "jaren", "later", "eerder", "na", "voor", "bij", "met", "aan", "uit", "door", "naar",
        "sinds", "vanaf", "tot", "om", "onder", "tegen", "zonder", "volgens", "ook", "nu", "toch", "wel",
        "dan", "daar", "hier", "daarom", "waarom", "hoe", "wat", "wie", "welke", "ondanks", "dankzij",
        "gisteren", "vandaag", "morgen", "zaterdag", "zondag", "maandag", "dinsdag", "woensdag",
        "donderdag", "vrijdag", "vorige", "afgelopen", "vanochtend", "vanavond", "vanmiddag", "zelf",
        "dat", "dit", "er", "die", "deze", "zoals", "net", "pas", "wanneer", "terwijl", "eerst",
        "daarna", "vervolgens", "uiteindelijk", "inmiddels", "intussen", "waarschijnlijk", "misschien",
    }
)  # fmt: skip

# Modifiers that never head a phrase: quantifiers, numerals, uninflected adjectives before a role.
MODIFIERS = frozenset(
    {
        "veel", "vele", "enkele", "sommige", "alle", "meer", "meeste", "andere", "beide", "twee", "drie",
        "vier", "vijf", "tien", "honderden", "duizenden", "tientallen", "voormalig", "toenmalig", "oud",
        "huidig", "nieuw", "kersvers", "demissionair", "waarnemend", "scheidend", "vertrekkend",
        "nieuwbakken", "hoofd", "ex", "mede", "adjunct", "plaatsvervangend", "interim",
    }
)  # fmt: skip

# Adverbs and conjunctions that open a clause before its subject ("Maar experts denken ...").
CLAUSE_OPENERS = frozenset(
    {
        "maar", "en", "ook", "want", "dus", "toch", "wel", "nu", "dan", "daarom", "bovendien", "zelfs",
        "echter", "verder", "tenslotte", "ten", "slotte", "daarnaast", "vooral", "zeker", "immers",
        "ondertussen", "intussen", "inmiddels", "eerder", "later", "al", "ofwel", "oftewel", "kortom",
        "samengevat", "overigens",
    }
)  # fmt: skip

# Finite verbs common right after a fronted "volgens X" (V2): where the source's phrase ends.
FINITE = frozenset(
    {
        "is", "was", "zijn", "waren", "wordt", "worden", "werd", "werden", "heeft", "hebben", "had",
        "hadden", "kan", "kunnen", "kon", "konden", "zal", "zullen", "zou", "zouden", "moet", "moeten",
        "moest", "moesten", "mag", "mogen", "mocht", "mochten", "wil", "willen", "wilde", "wilden",
        "gaat", "gaan", "ging", "gingen", "komt", "komen", "kwam", "kwamen", "ligt", "liggen", "lag",
        "lagen", "staat", "staan", "stond", "stonden", "blijft", "blijven", "bleef", "bleven", "zit",
        "zitten", "zat", "zaten", "lijkt", "lijken", "leek", "leken", "doet", "doen", "deed", "deden",
        "krijgt", "krijgen", "kreeg", "kregen", "maakt", "maken", "maakte", "hoeft", "hoeven", "hoefde",
        "gaf", "geeft", "geven", "heb", "ben", "hangt", "hing", "speelt", "speelde", "spelen", "kost",
        "kosten", "kostte", "betekent", "betekende", "loopt", "liep", "draait", "draaide", "zorgt",
        "zorgde", "leidt", "leidde", "brengt", "bracht", "neemt", "nam", "houdt", "hield", "valt",
        "viel", "treft", "trof", "telt", "telde", "past", "paste", "verdient", "werkt", "werkte",
        "werken", "groeit", "groeide", "stijgt", "steeg", "daalt", "daalde", "dreigt", "dreigde",
        "bestaat", "bestond", "ontstaat", "ontstond", "verandert", "veranderde", "helpt", "hielp",
    }
)  # fmt: skip

# Subjects that are not sources: polls and survey shares ("70 procent vindt ...").
POLL_WORDS = frozenset(
    {
        "procent", "%", "peiling", "peilingen", "enquête", "meerderheid", "minderheid", "poll", "polls",
        "exitpoll", "exitpolls", "prognose", "prognoses", "tv-prognoses", "regels", "puntensysteem",
        "systeem", "schatting", "schattingen", "berekening", "berekeningen", "cijfers", "statistieken",
        "telling", "tellingen", "uitslag", "uitslagen",
        "concept", "principe", "methode", "recept", "schema", "model",
    }
)  # fmt: skip

# Verbs of asking: a reported question is not a quote.
QUESTION = frozenset({"vraagt", "vroeg", "vragen", "vroegen", "gevraagd", "informeert", "informeerde"})

# Nouns of spokespeople: "een woordvoerder van het OM" -> the source is "het OM".
SPOKES = frozenset(
    {
        "woordvoerder", "woordvoerster", "woordvoerders", "zegsman", "zegsvrouw", "persvoorlichter",
        "voorlichter", "voorlichtster", "perschef", "persvoorlichtster", "spokesman", "spokeswoman",
    }
)  # fmt: skip

# Words before a quoted fragment that make it a title or name, not words someone said.
TITLE_CUES = frozenset(
    {
        "boek", "film", "programma", "serie", "album", "nummer", "single", "lied", "liedje", "song",
        "voorstelling", "campagne", "operatie", "actie", "column", "artikel", "rubriek", "documentaire",
        "roman", "titel", "getiteld", "genaamd", "heet", "heten", "hashtag", "app", "project", "schip",
        "tentoonstelling", "expositie", "festival", "spel", "game", "show", "podcast", "musical",
        "opera", "bijnaam", "merk", "motto", "thema", "boeken", "films", "plaat", "track",
        "bundel", "gedicht", "essay", "rapport", "studie", "tv-programma", "talkshow", "talentenjacht",
        "zogenoemde", "zogenaamde", "zogeheten", "zgn.", "term", "woord", "begrip", "slogan",
    }
)  # fmt: skip

# Words that show a sentence going on after a medial attribution: ", zegt Jansen, nog …".
CONTINUERS = frozenset(
    {"nog", "er", "ook", "niet", "wel", "al", "zeker", "vooral", "dus", "toch", "dat", "het", "een", "de"}
)

# Cues whose content may be a hoe-clause: "vertelde hoe hij …" reports content, not a question.
HOW_CUES = frozenset({"vertellen", "beschrijven", "uitleggen", "schrijven", "schetsen"})

# Adverbs of guessing: a stance verb after them is the writer's guess ("Vermoedelijk dacht hij dat").
SPECULATION = frozenset({"vermoedelijk", "waarschijnlijk", "misschien", "wellicht", "mogelijk", "allicht"})

# Words that never open a source's phrase: object and second-person pronouns, demonstratives.
NOT_A_SOURCE_START = frozenset(
    {
        "je",
        "jij",
        "jullie",
        "u",
        "ik",
        "me",
        "mij",
        "hem",
        "zich",
        "elkaar",
        "wie",
        "wat",
        "welke",
        "iets",
        "niets",
    }
)
# Endings of adjectives and adverbs: a single such word is not a source ("kort", "wetenschappelijk").
ADJECTIVE_ENDINGS = ("ig", "lijk", "isch", "baar", "loos", "zaam", "achtig")

# Titles and functions that NER sometimes takes into a person's name ("Kamerlid Ruben Brekelmans").
TITLES = frozenset(
    {
        "minister", "premier", "president", "burgemeester", "wethouder", "kamerlid", "europarlementariër",
        "staatssecretaris", "hoogleraar", "professor", "directeur", "voorzitter", "woordvoerder",
        "woordvoerster", "advocaat", "officier", "rechter", "trainer", "bondscoach", "fractievoorzitter",
        "partijleider", "lijsttrekker", "senator", "gedeputeerde", "commissaris", "koning", "koningin",
        "prins", "prinses", "paus", "kardinaal", "bisschop", "generaal", "inspecteur", "onderzoeker",
        "onderzoekster", "deskundige", "expert", "topman", "topvrouw", "oppositieleider", "partijvoorzitter",
        "parlementariër", "raadslid", "statenlid", "kamervoorzitter", "ombudsman", "correspondent",
    }
)  # fmt: skip

# Verbs after which a quoted fragment is the subject's own words: copulas and verdicts.
FRAGMENT_VERBS = frozenset(
    {
        "is", "was", "zijn", "waren", "blijft", "bleef", "afdoet", "deed", "doet", "ziet", "zien", "zag",
        "zagen", "betitelt", "betitelde", "verontschuldigde", "verontschuldigt", "spreekt", "sprak",
    }
)  # fmt: skip

# Nouns of time: a phrase ending in one says when, not who ("riep de laatste dagen op …").
TIME_NOUNS = frozenset(
    {
        "dag", "dagen", "week", "weken", "maand", "maanden", "jaar", "jaren", "ochtend", "middag", "avond",
        "nacht", "tijd", "keer", "uur", "uren", "minuten", "eeuw", "seizoen", "weekend", "periode",
    }
)  # fmt: skip

# Words ending like a past tense that are adjectives ("Is dat, beste Thierry?").
NOT_VERBS = frozenset(
    {
        "beste", "lieve", "geachte", "echte", "grote", "goede", "eerste", "laatste", "vaste", "juiste",
        "slechte", "grootste", "hoogste", "meeste", "rechte", "zachte", "lichte", "dichte", "zogenaamde",
        "bekende", "beruchte", "voormalige", "gezegde", "genoemde", "bedoelde", "gewezen",
    }
)  # fmt: skip

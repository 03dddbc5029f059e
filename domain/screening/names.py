"""Name normalization for screening: folded, transliterated, word-order free token keys.

A name becomes a tuple of token keys: accents stripped (Unicode NFKD), Cyrillic transliterated,
punctuation removed, runs of single letters joined ("S.A." -> "sa"), abbreviations expanded,
legal forms (LLC, Co., Ltd., OOO, Sdn Bhd ...) and filler words dropped, and each token reduced
to a key that folds common transliteration variants together (kh/h, ks/x, ou/u, y/i, ye/e,
dh/d, q/gh, plural s, doubled letters ...), so "Aleksandr" and "Alexander" give near keys and
"Khalil"/"Halil" equal ones.
"""

import re
import unicodedata
from functools import lru_cache

CYRILLIC_LATIN = (
    "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i yi ye g u"
)
CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
        CYRILLIC_LATIN.split(),
        strict=True,
    )
)
SPECIAL_LETTERS = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "&": " and ",
}
# one character's replacement when folding: its transliteration, else its spelling out
_LETTERS = str.maketrans(
    {**SPECIAL_LETTERS, **{char: latin.replace("_", "") for char, latin in CYRILLIC.items()}}
)
APOSTROPHES = re.compile(r"['’‘`ʼʻ´]")
NON_ALNUM = re.compile(r"[^0-9a-z]+")
# "and any successor, sub-unit, or subsidiary thereof" (Nonproliferation Sanctions entries)
SUCCESSOR_CLAUSE = re.compile(r"[;,]?\s*and any successors?,? sub-units?,? or subsidiar.*$", re.I)
PARENTHETICAL = re.compile(r"\(([^()]*)\)")
ALIAS_MARKER = re.compile(
    r"^\s*(?:a\.?k\.?a\.?|f\.?k\.?a\.?|n\.?k\.?a\.?|formerly|also known as)\s*", re.I
)

ABBREVIATIONS = {
    "intl": "international",
    "int": "international",
    "internat": "international",
    "tech": "technology",
    "techn": "technology",
    "technologies": "technology",
    "technological": "technology",
    "mfg": "manufacturing",
    "mfr": "manufacturing",
    "manufacturer": "manufacturing",
    "grp": "group",
    "hldgs": "holding",
    "holdings": "holding",
    "inds": "industries",
    "ind": "industries",
    "industry": "industries",
    "industrial": "industries",
    "elec": "electronics",
    "electronic": "electronics",
    "eng": "engineering",
    "engg": "engineering",
    "svcs": "services",
    "svc": "services",
    "service": "services",
    "trdg": "trading",
    "trade": "trading",
    "bros": "brothers",
    "univ": "university",
    "inst": "institute",
    "res": "research",
    "dept": "department",
    "natl": "national",
    "assn": "association",
    "sci": "scientific",
    "st": "saint",
    "gen": "general",
    "cia": "company",
    "compania": "company",
    "limitada": "limited",
    "mohd": "mohammed",
    "muhd": "mohammed",
}
LEGAL_FORMS_TEXT = """llc llp lp ltd limited co company cos inc incorporated corp corporation plc pte pty pvt
    gmbh mbh ag kg kgaa ohg ug sa sas sarl sae sal sak srl spa sl sld bv nv vof oy oyj ab
    aps kft zrt doo dd ad ead eood sro spol zoo sp ooo oao zao pao ao jsc pjsc ojsc cjsc
    tov pat fzco fze fzc fzllc wll bsc sdn bhd tbk pt cv lda ltda eirl sac saa tas as
    kk yk gk jv"""
LEGAL_FORMS = frozenset(LEGAL_FORMS_TEXT.split())
# legal forms spelled out, removed as whole phrases (the longest first)
LEGAL_PHRASES = tuple(
    tuple(phrase.split())
    for phrase in sorted(
        [
            "obshchestvo s ogranichennoi otvetstvennostyu",
            "obshchestvo s ogranichennoy otvetstvennostyu",
            "otkrytoe aktsionernoe obshchestvo",
            "zakrytoe aktsionernoe obshchestvo",
            "publichnoe aktsionernoe obshchestvo",
            "aktsionernoe obshchestvo",
            "otkrytoye aktsionernoye obshchestvo",
            "zakrytoye aktsionernoye obshchestvo",
            "publichnoye aktsionernoye obshchestvo",
            "aktsionernoye obshchestvo",
            "joint stock company",
            "public joint stock company",
            "open joint stock company",
            "closed joint stock company",
            "limited liability company",
            "limited liability partnership",
            "private limited",
            "public limited",
            "sociedad anonima",
            "societe anonyme",
            "sp z o o",
            "sdn bhd",
            "co ltd",
        ],
        key=lambda phrase: -len(phrase.split()),
    )
)
# LEGAL_PHRASES by their first word, each word's in the same order (the longest first)
_PHRASES_BY_FIRST_WORD: dict[str, tuple[tuple[str, ...], ...]] = {
    first: tuple(p for p in LEGAL_PHRASES if p[0] == first)
    for first in {p[0] for p in LEGAL_PHRASES}
}

FILLER_TEXT = "the and of al el ul ad der und et de del la le du des da do dos das di bin ibn"
FILLER = frozenset(FILLER_TEXT.split())
# words many unrelated listed parties share: they count for little in a match
GENERIC_TEXT = """trading international technology group holding industries company general import export
    electronics engineering services global logistics shipping enterprise enterprises
    development investment investments commercial resources systems solutions science
    scientific research institute center centre university bank national new china chinese
    russian iran iranian hong kong shenzhen beijing shanghai moscow tehran dubai world
    manufacturing machinery equipment materials supply supplies products industrial
    corporation limited co ltd digital hangzhou zhejiang guangzhou guangdong jiangsu tianjin
    wuhan chengdu nanjing xian hebei sichuan harbin"""
GENERIC_WORDS = frozenset(GENERIC_TEXT.split())
KEY_RULES = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("tch", "ç"),
    ("ch", "ç"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("dh", "d"),
    ("th", "t"),
    ("ck", "k"),
    ("x", "ks"),
    ("q", "g"),
    ("c", "k"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ye", "e"),
    ("yo", "o"),
    ("yu", "u"),
    ("ya", "a"),
    ("ie", "e"),
    ("ij", "i"),
    ("y", "i"),
    ("tz", "ts"),
    ("ç", "c"),
)
DOUBLED = re.compile(r"([a-z])\1+")
FINAL_VOWEL_H = re.compile(r"(?<=[aeiou])h$")


def fold(text: str) -> str:
    """Casefolded text with accents stripped and Cyrillic transliterated to Latin letters."""
    folded = text.casefold().translate(_LETTERS)
    if folded.isascii():  # nothing to decompose, and already casefolded
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def raw_tokens(text: str) -> list[str]:
    """The folded words of `text`: apostrophes dropped, other punctuation a word break, and runs
    of single letters joined ("S.A." -> "sa", "I R I S L" -> "irisl")."""
    words = NON_ALNUM.sub(" ", APOSTROPHES.sub("", fold(text))).split()
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            joined.append("".join(run))
            run = []
        if word:
            joined.append(word)
    return joined


def _drop_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in _PHRASES_BY_FIRST_WORD.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def words(text: str) -> tuple[str, ...]:
    """The distinctive words of a name: abbreviations expanded, legal forms and filler words
    dropped (kept when nothing else is left)."""
    expanded = [ABBREVIATIONS.get(w, w) for w in raw_tokens(text)]
    kept = [w for w in _drop_phrases(expanded) if w not in LEGAL_FORMS and w not in FILLER]
    if kept:
        return tuple(kept)
    return tuple(w for w in expanded if w not in FILLER) or tuple(expanded)


@lru_cache(maxsize=8192)
def key(word: str) -> str:
    """A word's comparison key, folding transliteration variants together."""
    out = word
    for old, new in KEY_RULES:
        out = out.replace(old, new)
    if len(out) > 4 and out.endswith("s") and not out.endswith("ss"):
        out = out[:-1]
    out = DOUBLED.sub(r"\1", out)
    return FINAL_VOWEL_H.sub("", out) if len(out) > 3 else out


def normalize(name: str) -> tuple[str, ...]:
    """The token keys of a name, in their written order (compare them as a set)."""
    return tuple(key(w) for w in words(name))


GENERIC_KEYS = frozenset(
    key(w) for w in GENERIC_WORDS | {ABBREVIATIONS.get(w, w) for w in GENERIC_WORDS}
)


def name_variants(listed: str) -> tuple[str, ...]:
    """The names one listed name stands for: itself without its parentheticals and successor
    clause, and each parenthetical (an acronym or a former name) on its own."""
    base = SUCCESSOR_CLAUSE.sub("", listed).strip()
    inner = [ALIAS_MARKER.sub("", part).strip() for part in PARENTHETICAL.findall(base)]
    outer = PARENTHETICAL.sub(" ", base).strip(" ,;")
    variants = [outer or base, *inner]
    seen: list[str] = []
    for variant in variants:
        if variant and normalize(variant) and variant not in seen:
            seen.append(variant)
    return tuple(seen) or (listed,)

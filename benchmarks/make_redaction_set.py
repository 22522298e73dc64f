"""A test set for the redaction of personal data: comments with names, addresses, emails, phone
numbers and postcodes planted in them, and comments without any.

    python benchmarks/make_redaction_set.py --n 2000 --seed 2021 --out redaction_set.json

``make_set(n, seed)`` returns ``{"with": [...], "without": [...]}``: ``with`` holds ``n``
comments, each ``{"text", "planted": [[kind, value], ...]}`` where ``kind`` is ``first name``,
``surname``, ``email``, ``phone``, ``postcode`` or ``address`` and ``value`` is the text planted;
``without`` holds ``n // 2`` comments with no personal data at all, made to tempt a redactor
(place names, streets without a house number, months, and words that are also names: "Will the
police ...", "May", "a rose bed", "Mark my words").

The names are the first names and surnames common in England, Poland, Lithuania and Romania, as
residents write them: with diacritics or without, in the Polish and Lithuanian case a sentence
needs (vocative "Łukaszu", "Jonai"; women's surnames "Kowalska", "Kazlauskienė"). They are
written out here, not read from analysis/data, so that the measure does not depend on the lists
it tests; about one in six is not in those lists at all, to show what the rules catch without
them. The templates vary the place of the name in the sentence (alone at the end, after a title,
a sign-off, "my name is", beside a surname, in Polish, Lithuanian and Romanian sentences).
"""
from __future__ import annotations

import argparse
import json
import random
import unicodedata
from pathlib import Path

# (first name, the form a sentence of that language needs, e.g. the vocative), by country
FIRST = {
    "en": ["Oliver", "George", "Harry", "Jack", "Noah", "Charlie", "Thomas", "Oscar", "James",
           "William", "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Lily",
           "Freya", "Sarah", "David", "Paul", "Karen", "Susan", "Gary", "Darren", "Emma",
           "Rebecca", "Mohammed", "Priya", "Rose", "Mark", "Stephen", "Claire", "Wayne"],
    "pl": ["Łukasz", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Grzegorz",
           "Jakub", "Mateusz", "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Magdalena",
           "Joanna", "Ewa", "Monika", "Zofia", "Wojciech", "Bartłomiej", "Dorota", "Kasia",
           "Przemek", "Jędrzej"],
    "lt": ["Jonas", "Tomas", "Mantas", "Lukas", "Darius", "Mindaugas", "Andrius", "Vytautas",
           "Rūta", "Eglė", "Ieva", "Jurgita", "Kristina", "Aušra", "Gintarė", "Žydrūnas",
           "Kęstutis", "Rasa", "Arvydas", "Vilija"],
    "ro": ["Andrei", "Ion", "Mihai", "Alexandru", "Gheorghe", "Ștefan", "Cristian", "Elena",
           "Maria", "Ioana", "Andreea", "Mihaela", "Gabriela", "Răzvan", "Cătălina", "Florin",
           "Bogdan", "Luminița", "Dorin", "Smaranda"],
}
SURNAMES = {
    "en": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
           "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Hughes", "Edwards", "Pritchard",
           "Fairbrother"],
    "pl": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
           "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Mazur", "Krawczyk",
           "Grabowski", "Pietrzyk", "Chrzanowski"],
    "lt": ["Kazlauskas", "Jankauskas", "Petrauskas", "Stankevičius", "Vasiliauskas", "Žukauskas",
           "Butkus", "Paulauskas", "Urbonas", "Kavaliauskas", "Baranauskas", "Sabonis"],
    "ro": ["Popa", "Popescu", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei",
           "Ciobanu", "Ionescu", "Rusu", "Munteanu", "Constantinescu", "Vlădescu"],
}
STREETS = ["Lincoln Road", "High Street", "Park Avenue", "Station Road", "Church Lane",
           "Oundle Road", "Mill Road", "Queen's Drive", "Victoria Crescent", "Eastfield Road",
           "St Mary's Close", "Bishop's Way", "Westwood Grove", "Thorpe Road", "Cherry Hinton Road"]
TOWNS = ["Peterborough", "Cambridge", "Wisbech", "March", "Ely", "Huntingdon", "St Ives",
         "St Neots", "Whittlesey", "Chatteris", "Ramsey", "Soham", "Yaxley"]
EMAIL_DOMAINS = ["gmail.com", "hotmail.co.uk", "yahoo.com", "outlook.com", "btinternet.com",
                 "wp.pl", "onet.pl", "inbox.lt", "yahoo.ro", "example.org"]
POSTCODE_AREAS = ["PE1", "PE2", "PE7", "PE13", "PE15", "PE27", "PE29", "CB1", "CB4", "CB6",
                  "CB7", "CB22", "CB25"]


def _fold(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _woman(surname: str, country: str) -> str:
    if country == "pl" and surname.endswith("ki"):
        return surname[:-1] + "a"
    if country == "lt":
        for end, married in (("ius", "ienė"), ("as", "ienė"), ("us", "ienė"), ("is", "ienė")):
            if surname.endswith(end):
                return surname[: -len(end)] + married
    return surname


def _vocative(first: str, country: str) -> str:
    """The form used to address someone (Polish and Lithuanian); unchanged elsewhere."""
    if country == "pl":
        if first.endswith("ia"):
            return first[:-1] + "u"
        if first.endswith("a"):
            return first[:-1] + "o"
        for end, voc in (("sz", "szu"), ("ek", "ku"), ("r", "rze"), ("eł", "le"), ("ł", "le"), ("j", "ju"),
                         ("b", "bie"), ("n", "nie"), ("m", "mie"), ("usz", "uszu")):
            if first.endswith(end):
                return first[: -len(end)] + voc
    if country == "lt" and first.endswith("as"):
        return first[:-2] + "ai"
    return first


def _phone(rng: random.Random) -> str:
    mobile = f"7{rng.randint(100, 999)}{rng.randint(100000, 999999)}"
    land = rng.choice(["1733", "1223", "1480", "1353", "1945", "1354"]) + f"{rng.randint(100000, 999999)}"
    number = rng.choice([mobile, mobile, land])
    style = rng.randrange(7)
    if style == 0:
        return "0" + number
    if style == 1:
        return f"0{number[:4]} {number[4:]}"
    if style == 2:
        return f"0{number[:4]} {number[4:7]} {number[7:]}"
    if style == 3:
        return f"+44 {number[:4]} {number[4:]}"
    if style == 4:
        return f"+44{number}"
    if style == 5:
        return f"+44 (0){number[:4]} {number[4:]}"
    return f"({'0' + number[:4]}) {number[4:]}"


def _postcode(rng: random.Random) -> str:
    inward = f"{rng.randint(0, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    code = f"{rng.choice(POSTCODE_AREAS)} {inward}"
    return code if rng.random() < 0.85 else code.replace(" ", "")


def _email(rng: random.Random, first: str, surname: str) -> str:
    local = rng.choice([f"{first}.{surname}", f"{first}{rng.randint(1, 99)}", f"{surname}_{first[0]}",
                        f"{first[0]}{surname}"])
    email = f"{_fold(local).lower()}@{rng.choice(EMAIL_DOMAINS)}"
    return email.upper() if rng.random() < 0.05 else email


# Templates: {F} first name, {V} its vocative, {S} surname, {W} woman's surname, {E} email,
# {P} phone, {C} postcode, {A} street address, {T} town. Each says which country's names fit.
TEMPLATES = [
    ("any", "My neighbour {F} {S} has had his shed broken into three times this year."),
    ("any", "The potholes on {street} are getting worse, please send someone. {F}."),
    ("any", "PC {S} was brilliant when my car was broken into."),
    ("any", "I reported it to Sgt {S} but heard nothing back for months."),
    ("any", "{F} {S} from the residents' association says the same thing."),
    ("any", "Speeding outside the school is terrible, someone will get hurt.\n\nThanks,\n{F}"),
    ("any", "Kind regards,\n{F} {S}"),
    ("any", "My name is {F} {S} and I run a small shop in {T}."),
    ("any", "Please ask {F} at the community centre, she knows all about it."),
    ("any", "My son {F} was assaulted near the bus station last winter."),
    ("any", "Contact me on {P} or {E} if you want more detail. {F}"),
    ("any", "I live at {A}, {C}, and the drug dealing outside is constant."),
    ("any", "Call {P} any time. I am at {A} most days."),
    ("any", "You can write to me at {E}, postcode {C}."),
    ("any", "Fly-tipping behind {A} again. Email {E} or ring {P}."),
    ("any", "Mrs {W} at number 4 keeps an eye out for everyone on our street."),
    ("any", "Cars are parked on the pavement outside {A} every evening - {F} {S}"),
    ("en", "I'm {F}, a mum of two in {T}, and I don't feel safe walking home."),
    ("en", "{F} and I walk the dog there every night and it's pitch black."),
    ("en", "Spoke to {F} {S} on {P} about the antisocial behaviour at {A}."),
    ("pl", "Nazywam się {F} {S}, mieszkam w {T} od dziesięciu lat."),
    ("pl", "Dziękuję, {V}, za pomoc z tą sprawą."),
    ("pl", "Pani {W} z naszej ulicy też to widziała. Pozdrawiam, {F}"),
    ("pl", "Więcej policji na ulicach proszę. {F} {S}, tel. {P}"),
    ("lt", "Mano vardas {F} {S}, gyvenu {T}."),
    ("lt", "Ačiū, {V}! Daugiau policijos gatvėse."),
    ("lt", "Pagarbiai,\n{F} {W}"),
    ("ro", "Mă numesc {F} {S} și locuiesc în {T}."),
    ("ro", "Mai multă poliție pe străzi, vă rog. Cu stimă, {F} {S}"),
    ("ro", "Domnul {S} de la numărul 7 a fost jefuit."),
]

# Comments without personal data, made to tempt a redactor.
CLEAN = [
    "Will the police ever patrol {T} at night?",
    "In May the speeding on {street} was the worst I have seen.",
    "Mark my words, someone will be killed at that junction.",
    "The rose beds in the park were trampled again on Saturday.",
    "Grace and courtesy from officers goes a long way.",
    "I hope the Commissioner reads this. Hope is all we have left in {T}.",
    "Frank discussion with the council is needed about {street}.",
    "Jack up the fines for fly-tipping, it is out of control.",
    "The A14 near {T} and the A1 at junction 17 are dangerous.",
    "Call 999 in an emergency and 101 otherwise, but 101 takes 40 minutes to answer.",
    "There were 3 burglaries on {street} in 2021 and 12 cars damaged.",
    "We need more PCSOs in {T} and {T2}, especially on Friday nights.",
    "The Police and Crime Commissioner should visit Peterborough market on a Monday.",
    "Victoria Road and Lincoln Road both need speed cameras.",
    "White British and Black residents were treated differently, I feel.",
    "Young people in {T} have nothing to do after school.",
    "Rural crime in Fenland is ignored, hare coursing is rife near March.",
    "King's Lynn gets more officers than Wisbech does.",
    "20 mph limits near schools would help, like on {street}.",
    "Bill payers are paying more for less policing every year.",
    "May I say the neighbourhood team in {T} is excellent.",
    "Park Road at 3am is a racetrack; 5 cars were written off last year.",
    "Więcej policji na ulicach w {T}, proszę.",
    "Daugiau policijos gatvėse, ypač naktį.",
    "Mai multă poliție pe străzi, mai ales seara.",
    "Drug dealing near St Mary's church is getting worse.",
    "The Green Party and Labour both promised more officers.",
    "Crime Prevention should come first, then Robust Enforcement.",
    "Dawn raids on drug dealers are what we want to see.",
    "Cambridge City Council and the police must work together on Mill Road.",
    "The Rose and Crown car park is used for drug deals every weekend.",
    "Jack Hunt School pupils are being robbed on the way home.",
    "Frank Perkins Parkway is used as a racetrack at night.",
    "Thomas Deacon Academy and Arthur Mellows Village College need officers at home time.",
    "Queensgate shopping centre feels unsafe after 6pm.",
    "Thank you for asking our views.",
    "Cheers, keep up the good work.",
    "Regards to the neighbourhood team in {T}, they are great.",
    "Anglia Ruskin students feel unsafe around East Road.",
    "Stanley Recreation Ground is full of broken glass.",
    "I saw a PCSO on Tuesday, the first time in years.",
    "The Mayor of Cambridgeshire and Peterborough should fund more buses at night.",
    "Addenbrooke's Hospital staff are abused every weekend.",
    "Will and testament fraud against older people is rising.",
    "Wood Green animal shelter had a break-in.",
]


def _name(rng: random.Random, country: str) -> tuple[str, str, str, str]:
    first = rng.choice(FIRST[country])
    surname = rng.choice(SURNAMES[country])
    return first, _vocative(first, country), surname, _woman(surname, country)


def make_set(n: int = 2000, seed: int = 2021) -> dict[str, list[dict]]:
    """``n`` comments with planted personal data and ``n // 2`` without (see module docs)."""
    rng = random.Random(seed)
    with_pii = []
    for _ in range(n):
        where, template = rng.choice(TEMPLATES)
        country = where if where != "any" else rng.choice(["en", "en", "pl", "lt", "ro"])
        first, vocative, surname, woman = _name(rng, country)
        if rng.random() < 0.15:  # typed without diacritics, as on an English keyboard
            first, vocative, surname, woman = map(_fold, (first, vocative, surname, woman))
        number = f"{rng.randint(1, 250)}{rng.choice(['', '', '', 'a', 'b'])}"
        street = rng.choice(STREETS)
        values = {
            "F": first, "V": vocative, "S": surname, "W": woman, "E": _email(rng, _fold(first), _fold(surname)),
            "P": _phone(rng), "C": _postcode(rng), "A": f"{number} {street}", "T": rng.choice(TOWNS),
            "street": street,
        }
        text = template.format(**values)
        planted = []
        for key, kind in (("F", "first name"), ("V", "first name"), ("S", "surname"), ("W", "surname"),
                          ("E", "email"), ("P", "phone"), ("C", "postcode"), ("A", "address")):
            if "{" + key + "}" in template:
                planted.append([kind, values[key]])
        with_pii.append({"text": text, "planted": planted, "country": country})
    without = []
    for _ in range(n // 2):
        towns = rng.sample(TOWNS, 2)
        without.append({"text": rng.choice(CLEAN).format(T=towns[0], T2=towns[1], street=rng.choice(STREETS)),
                        "planted": []})
    return {"with": with_pii, "without": without}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="comments with personal data (default 2000)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(make_set(args.n, args.seed), ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

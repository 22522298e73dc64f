"""The body running consultations: ``instance/organisation.yaml`` -> a validated, normalised dict.

The file says who the body is, what its privacy notice and accessibility statement must say (the
schema ``consult/schemas/organisation.schema.json`` makes every UK GDPR Article 13 item and every
required section of an accessibility statement a required field), and its areas: the districts a
resident chooses from, with populations, their source and year, postcode districts and sub-areas
(``consult/schemas/areas.schema.json``). A consultation uses these areas unless its definition
lists its own ``areas:`` in the same shape.

:func:`load_organisation` checks the file and raises :class:`DefinitionError` with every problem
(``file: place: message``); :func:`current` is the app's organisation, loaded at start
(``ORGANISATION_FILE``). Rules that reach across the file (a code used twice, a postcode district
given to two areas) are checked here in code.
"""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml
from flask import current_app, has_app_context

from .definitions import MAX_DEFINITION_BYTES, DefinitionError, parse_yaml
from .quoting import quoted
from .schema import problems as schema_problems

EXTENSION_KEY = "consult.organisation"


def _plain(value: Any) -> Any:
    """YAML dates as ISO text, so that the schema (JSON types only) can check them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


def _postcodes(values: Any) -> list[str]:
    return [str(v).strip().upper() for v in values or []]


def area_problems(raw: Any, where: str = "areas") -> list[str]:
    """Every problem of an areas block (schema and cross-references), as ``place: message``."""
    raw = _plain(raw)
    if not isinstance(raw, dict):
        return [f"{where}: should be a set of keys and values: label, population_source, "
                "population_year, items, outside and prefer_not_to_say"]
    found = [f"{where}.{p}" for p in schema_problems(raw, "areas")]
    if found:
        return found
    # value -> the place that first used it, per kind of value that must be used once
    first: dict[str, dict[str, str]] = {"code": {}, "postcode": {}, "ons": {}}

    def once(kind: str, value: str, place: str) -> None:
        earlier = first[kind].setdefault(value, place)
        if earlier == place:
            return
        if kind == "code":
            found.append(f"{place}.code: {quoted(value)} is also the code of {earlier}; each "
                         "area, sub-area and choice needs its own code")
        elif kind == "postcode":
            found.append(f"{place}.postcode_districts: {value} is also given to {earlier}; a "
                         "postcode district belongs to one area")
        else:
            found.append(f"{place}.ons_code: {value} is also the ONS code of {earlier}")

    for i, item in enumerate(raw["items"]):
        place = f"{where}.items[{i}]"
        places = [(place, item)] + [(f"{place}.sub_areas[{j}]", sub)
                                    for j, sub in enumerate(item.get("sub_areas") or [])]
        for here, area in places:
            once("code", area["code"], here)
            if area.get("ons_code"):
                once("ons", area["ons_code"], here)
            for postcode in _postcodes(area.get("postcode_districts")):
                once("postcode", postcode, here)
    once("code", raw["outside"]["code"], f"{where}.outside")
    once("code", raw["prefer_not_to_say"]["code"], f"{where}.prefer_not_to_say")
    return found


def normalise_areas(raw: dict[str, Any]) -> dict[str, Any]:
    """The normalised form of a checked areas block: every key present, postcode districts in
    capitals, an area's ``postcode_districts`` holding its sub-areas' too."""
    raw = _plain(raw)
    items = []
    for item in raw["items"]:
        subs = [{"code": s["code"], "name": s["name"].strip(), "ons_code": s.get("ons_code", ""),
                 "population": s.get("population"),
                 "postcode_districts": _postcodes(s.get("postcode_districts"))}
                for s in item.get("sub_areas") or []]
        own = _postcodes(item.get("postcode_districts"))
        every = own + [p for s in subs for p in s["postcode_districts"] if p not in own]
        items.append({"code": item["code"], "name": item["name"].strip(),
                      "ons_code": item.get("ons_code", ""), "population": item.get("population"),
                      "postcode_districts": every, "sub_areas": subs})
    return {
        "label": raw["label"].strip(),
        "population_source": raw["population_source"].strip(),
        "population_year": raw["population_year"],
        "items": items,
        "outside": {"code": raw["outside"]["code"], "name": raw["outside"]["name"].strip()},
        "prefer_not_to_say": {"code": raw["prefer_not_to_say"]["code"],
                              "name": raw["prefer_not_to_say"]["name"].strip()},
    }


def validate_organisation(raw: Any, path: str = "<organisation>") -> dict[str, Any]:
    """A parsed organisation file checked and normalised, or DefinitionError listing every problem."""
    if not isinstance(raw, dict):
        raise DefinitionError(path, ["the file should hold the organisation (a mapping of settings "
                                     "such as name, contact, data_protection, accessibility and areas)"])
    raw = _plain(raw)
    found = schema_problems(raw, "organisation")
    if isinstance(raw.get("areas"), dict):
        found += area_problems(raw["areas"])
    if found:
        raise DefinitionError(path, found, what="organisation file")
    organisation = {key: raw[key] for key in ("name", "short_name", "website")}
    organisation["contact"] = {"email": raw["contact"]["email"], "phone": raw["contact"].get("phone", ""),
                               "address": raw["contact"]["address"]}
    organisation["data_protection"] = dict(raw["data_protection"])
    accessibility = dict(raw["accessibility"])
    accessibility.setdefault("reviewed_on", "")
    accessibility.setdefault("disproportionate_burden", "")
    organisation["accessibility"] = accessibility
    organisation["areas"] = normalise_areas(raw["areas"])
    return organisation


def load_organisation(path: str | Path) -> dict[str, Any]:
    """Read, check and normalise the organisation file at ``path``."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DEFINITION_BYTES:
            raise DefinitionError(str(path), [
                f"the file is larger than {MAX_DEFINITION_BYTES // 1024} KB; an organisation "
                "file is far smaller"], what="organisation file")
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise DefinitionError(str(path), [f"the file cannot be read: {error.strerror or error}"],
                              what="organisation file") from error
    except UnicodeDecodeError as error:
        raise DefinitionError(str(path), ["the file is not UTF-8 text"], what="organisation file") from error
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(str(path), [f"{where}: this is not valid YAML ({problem})"],
                              what="organisation file") from error
    return validate_organisation(raw, str(path))


def current() -> dict[str, Any]:
    """The organisation of the running app (loaded by :func:`init_app`)."""
    return current_app.extensions[EXTENSION_KEY]


@functools.cache
def _from_file(path: str) -> dict[str, Any]:
    return load_organisation(path)


def default() -> dict[str, Any]:
    """The running app's organisation; outside an app (a script, a test of a definition alone),
    the one in ``ORGANISATION_FILE`` (default ``instance/organisation.yaml``)."""
    if has_app_context():
        return current()
    from .config import Config
    return _from_file(str(Config.ORGANISATION_FILE))


def init_app(app: Any) -> None:
    """Load ``ORGANISATION_FILE`` into the app; a bad file raises DefinitionError (the start stops)."""
    organisation = load_organisation(app.config["ORGANISATION_FILE"])
    app.extensions[EXTENSION_KEY] = organisation
    app.config["ORGANISATION_NAME"] = organisation["name"]


def area_options(areas: dict[str, Any]) -> list[dict[str, str]]:
    """The district question's options: the areas, then outside, then prefer not to say.
    ``areas`` is a normalised areas block (or an organisation holding one)."""
    areas = areas.get("areas", areas) if "items" not in areas else areas
    return ([{"code": a["code"], "label": a["name"]} for a in areas["items"]]
            + [{"code": areas["outside"]["code"], "label": areas["outside"]["name"]},
               {"code": areas["prefer_not_to_say"]["code"], "label": areas["prefer_not_to_say"]["name"]}])


def populations(areas: dict[str, Any]) -> dict[str, int]:
    """Usual residents per area code, for the areas that give a population."""
    return {a["code"]: a["population"] for a in areas["items"] if a.get("population") is not None}


def postcode_places(areas: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Postcode district -> (area code, sub-area code or None)."""
    places: dict[str, tuple[str, str | None]] = {}
    for area in areas["items"]:
        for sub in area["sub_areas"]:
            for postcode in sub["postcode_districts"]:
                places[postcode] = (area["code"], sub["code"])
        for postcode in area["postcode_districts"]:
            places.setdefault(postcode, (area["code"], None))
    return places


def consultation_areas(consultation: Any) -> dict[str, Any]:
    """The areas a stored consultation uses: those its definition keeps (``definition["areas"]``);
    for one stored before definitions kept them, the organisation's, with the consultation's own
    populations where it has them."""
    areas = (consultation.definition or {}).get("areas")
    if areas:
        return areas
    import copy
    areas = copy.deepcopy(default()["areas"])
    own = dict(consultation.population or {})
    if own:
        for area in areas["items"]:
            area["population"] = own.get(area["code"])
        areas["population_source"] = "the consultation's own figures, source not recorded"
        areas["population_year"] = None
    return areas

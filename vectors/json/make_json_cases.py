#!/usr/bin/env python3
"""Generates vectors/json/cases.json: small JSON documents, valid and invalid, each with the verdict of an
independent reference (Python's json module, made strict), for the differential test of steer's JSONReader.

Run from the repository root:  python3 vectors/json/make_json_cases.py
Standard library only; deterministic (fixed seed), so re-running rewrites the same file.

Each case: {"text_b64": the document's bytes in base64, "valid": bool,
            "canonical": json.dumps(json.loads(text), sort_keys=True)   (valid cases only),
            "reason": why the reference rejects it                       (invalid cases only)}

The reference verdict: the bytes are decoded as strict UTF-8 (no overlong forms, no encoded surrogates,
nothing above U+10FFFF), then parsed by json.loads with
  - parse_constant raising: no NaN, Infinity, -Infinity;
  - object_pairs_hook raising on a duplicate key in any object;
and a parsed document holding a lone surrogate (an unpaired \\uD800-\\uDFFF escape) in any string or key
is rejected too. Documents that steer's reader handles differently by design are left out, not written:
integers beyond 64 bits (steer reads them only as doubles) and numbers that overflow a double (steer
rejects them, Python makes them infinite).

Valid documents come from random values (nesting, escapes, control characters, non-ASCII and astral
characters, integers up to the 64-bit limits, floats of every magnitude) written by json.dumps in several
styles and by a writer of varied whitespace, escapes and number spellings; invalid ones from hand-written
cases and from random mutations of valid ones (whatever the reference says about a mutant is its verdict).
"""
import base64, json, math, os, random, string

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "cases.json")


class Skip(Exception):
    """A document outside what the differential test compares."""


class Reject(Exception):
    """A document the strict reference rejects."""


def has_lone_surrogate(value):
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return False


def reference(data):
    """(True, canonical) or (False, reason); None for a document to leave out."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return False, "invalid UTF-8: " + error.reason

    def constant(name):
        raise Reject("constant " + name)

    def pairs(items):
        seen = set()
        for key, _ in items:
            if key in seen:
                raise Reject("duplicate key")
            seen.add(key)
        return dict(items)

    def parse_float(literal):
        value = float(literal)
        if math.isinf(value):
            raise Skip()
        return value

    def parse_int(literal):
        value = int(literal)
        if not -2**63 <= value < 2**63:
            raise Skip()
        return value

    try:
        value = json.loads(text, parse_constant=constant, object_pairs_hook=pairs, parse_float=parse_float, parse_int=parse_int)
    except Skip:
        return None
    except Reject as error:
        return False, str(error)
    except json.JSONDecodeError as error:
        return False, error.msg
    except RecursionError:
        return None
    if has_lone_surrogate(value):
        return False, "lone surrogate"
    return True, json.dumps(value, sort_keys=True)


# ---------------------------------------------------------------- random values

def random_char(r):
    c = r.random()
    if c < 0.45:
        return r.choice(string.ascii_letters + string.digits + " ._-/:,{}[]")
    if c < 0.55:
        return r.choice('"\\\b\f\n\r\t')
    if c < 0.62:
        return chr(r.randint(0, 0x1F))
    if c < 0.75:
        return chr(r.randint(0x7F, 0x7FF))
    if c < 0.9:
        return chr(r.choice([r.randint(0x800, 0xD7FF), r.randint(0xE000, 0xFFFF)]))
    return chr(r.randint(0x10000, 0x10FFFF))


def random_string(r, longest=8):
    return "".join(random_char(r) for _ in range(r.randint(0, longest)))


def random_number(r):
    c = r.randrange(10)
    if c == 0:
        return r.randint(0, 9)
    if c == 1:
        return r.randint(-10**6, 10**6)
    if c == 2:
        return r.choice([2**63 - 1, -2**63, 2**63 - 2, -2**63 + 1, 2**53 + 1, -(2**31)])
    if c == 3:
        return r.randint(-2**63, 2**63 - 1)
    if c == 4:
        return r.choice([0.0, -0.0, 0.1, 0.5, 1.5e-3, 1e5, 1e16, 1e-5, 5e-324, 2.2250738585072014e-308,
                         1.7976931348623157e308, 123456789012345680.0])
    if c == 5:
        return r.uniform(-1000, 1000)
    if c in (6, 7):
        return r.choice([-1, 1]) * r.random() * 10.0 ** r.randint(-320, 300)
    if c == 8:
        return float(r.randint(-10**6, 10**6))
    return r.choice([-1, 1]) * r.random() * 10.0 ** r.randint(-6, 20)


def random_value(r, depth=0):
    c = r.random()
    if depth >= 3 or c < 0.45:
        k = r.randrange(6)
        if k < 2:
            return random_string(r)
        if k < 4:
            return random_number(r)
        return r.choice([True, False, None])
    if c < 0.7:
        return [random_value(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {random_string(r, 5): random_value(r, depth + 1) for _ in range(r.randint(0, 4))}


# ---------------------------------------------------------------- writers

def varied_whitespace(r):
    return "".join(r.choice(" \t\n\r") for _ in range(r.choice([0, 0, 0, 1, 2])))


def varied_string(r, s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
        if ch in short and r.random() < 0.7:
            out.append(short[ch])
        elif o < 0x20 or ch in '"\\' or r.random() < 0.2:
            if o >= 0x10000:
                o -= 0x10000
                units = [0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)]
            else:
                units = [o]
            for unit in units:
                digits = "%04x" % unit
                out.append("\\u" + (digits.upper() if r.random() < 0.5 else digits))
        elif ch == "/" and r.random() < 0.5:
            out.append("\\/")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def varied_number(r, x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError
    if isinstance(x, int):
        return str(x) if r.random() < 0.8 else str(x) + r.choice(["e0", "E+0", ".0", ".000e-0"])
    form = r.choice(["repr", "e", "E", "g"])
    if form == "repr":
        return repr(x)
    if form == "e":
        return "%.17e" % x
    if form == "E":
        return "%.17E" % x
    return "%.17g" % x


def varied_dumps(r, value):
    w = lambda: varied_whitespace(r)
    if isinstance(value, str):
        return varied_string(r, value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return varied_number(r, value)
    if isinstance(value, list):
        return "[" + w() + ("," + w()).join(varied_dumps(r, v) + w() for v in value) + "]"
    return "{" + w() + ("," + w()).join(varied_string(r, k) + w() + ":" + w() + varied_dumps(r, v) + w() for k, v in value.items()) + "}"


def write(r, value):
    style = r.randrange(4)
    if style == 0:
        text = json.dumps(value)
    elif style == 1:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif style == 2:
        text = json.dumps(value, ensure_ascii=r.random() < 0.5, indent=r.choice([0, 1, "\t"]))
    else:
        text = varied_whitespace(r) + varied_dumps(r, value) + varied_whitespace(r)
    # ensure_ascii=False can emit lone surrogates only from lone surrogates in the value, which random_char never makes.
    return text.encode("utf-8")


# ---------------------------------------------------------------- mutations

INSERTS = [b",", b"[", b"]", b"{", b"}", b":", b'"', b"\\", b" ", b"-", b"+", b".", b"0", b"1", b"e", b"E",
           b"NaN", b"Infinity", b"-Infinity", b"01", b"1.", b".5", b"//c", b"/*c*/", b"'a'", b"tru", b"nul",
           b"\\x", b"\\u12", b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\ud83d\\ude00", b"\\u00e9",
           b"\x00", b"\x01", b"\x1f", b"\x7f", b"\x0b", b"\x0c", b"\xff", b"\xfe", b"\x80", b"\xc0\x80", b"\xc1\xbf",
           b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80",
           b"\xf5\x80\x80\x80", b"\xc3", b"\xe2\x82", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
           b"\xef\xbb\xbf", b"\xc2\xa0", b"\xe2\x80\xa8"]


def mutate(r, data):
    if not data:
        return r.choice(INSERTS)
    kind = r.randrange(8)
    i = r.randrange(len(data) + 1)
    if kind == 0:
        return data[:i] + data[i + 1:]
    if kind in (1, 2):
        return data[:i] + r.choice(INSERTS) + data[i:]
    if kind == 3:
        return data[:i] + r.choice(INSERTS) + data[i + 1:]
    if kind == 4:
        return data[:i] if i < len(data) else data[:-1]
    if kind == 5:
        j = r.randrange(len(data) + 1)
        a, b = min(i, j), max(i, j)
        return data[:b] + data[a:b] + data[b:]
    if kind == 6:
        closers = [k for k, c in enumerate(data) if c in b"]}"]
        if closers:
            k = r.choice(closers)
            return data[:k] + b"," + data[k:]
        return data + b","
    return data + r.choice([b"x", b",", b"]", b" 1", b"\x00", b"{}", b"\n\n", b"  "])


HAND = [
    # numbers
    b"0", b"-0", b"-0.0", b"1e5", b"1E5", b"1e+5", b"1e-5", b"1.5e-3", b"0.5", b"-12.25E+02",
    b"9223372036854775807", b"-9223372036854775808", b"1e-400", b"4.9e-324",
    b"01", b"-01", b"00", b"+1", b"1.", b".5", b"-", b"-a", b"1e", b"1e+", b"1.e5", b"--1", b"0x10", b"1_000",
    b"NaN", b"Infinity", b"-Infinity", b"[NaN]", b"nan", b"inf",
    # literals
    b"true", b"false", b"null", b"True", b"nul", b"truee", b"[tru]", b"[true false]",
    # strings
    b'""', b'"a"', b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', b'"\\u00e9"', b'"\\u00E9"', b'"\\ud83d\\ude00"', b'"\\uD83D\\uDE00"',
    b'"\\u0000"', b'"\\ud800"', b'"\\udc00"', b'"\\ude00\\ud83d"', b'"\\ud800\\u0041"', b'"\\ud800x"', b'"\\ud800\\"',
    b'"\\u12"', b'"\\u12g4"', b'"\\x41"', b'"\\a"', b'"\\U0041"', b'"\\', b'"abc', b'"a\x00b"', b'"a\x1fb"', b'"a\x7fb"',
    b'"a\nb"', b'"a\tb"', "\"\u00e9\u4e2d\U0001F600\"".encode(), b'"\xff"', b'"\xc0\x80"', b'"\xc1\xbf"',
    b'"\xe0\x80\xaf"', b'"\xf0\x80\x80\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"', b'"\xc3"', b'"\xe2\x82"', b'"\x80"',
    b"'a'",
    # structure
    b"[]", b"{}", b"[ ]", b"{ }", b"[1,2]", b"[1,]", b"[,1]", b"[1,,2]", b"[1 2]", b"{\"a\":1,}", b"{\"a\" 1}", b"{\"a\":}",
    b"{\"a\"}", b"{a:1}", b"{1:1}", b"{\"a\":1 \"b\":2}", b"{\"a\":1,\"a\":2}", b"{\"a\":{\"b\":1,\"b\":1}}",
    b"[{\"a\":1},{\"a\":1}]", b"{\"\\u00e9\":1,\"\xc3\xa9\":2}", b"{\"e\xcc\x81\":1,\"\xc3\xa9\":2}", b"[", b"]", b"{", b"}",
    b"[1", b"{\"a\":1", b"[[]", b"", b" ", b"\t\n\r ", b"1 2", b"[] []", b"{}x", b"[] ", b"{}      ", b"\t{}\r\n",
    b"\xef\xbb\xbf{}", b"{}\x00", b"{}\x0c", b"\x0b{}", b"[1]//", b"/*x*/[1]", b"[\"a\" , \"b\"]",
    b"[" * 20 + b"]" * 20, b"[" * 20 + b"]" * 19,
]


def main():
    r = random.Random(20240607)
    cases, texts = [], set()

    def add(data):
        if data in texts:
            return
        verdict = reference(data)
        if verdict is None:
            return
        texts.add(data)
        valid, detail = verdict
        case = {"text_b64": base64.b64encode(data).decode("ascii"), "valid": valid}
        case["canonical" if valid else "reason"] = detail
        cases.append(case)

    for data in HAND:
        add(data)
    originals = []
    while len(originals) < 220:
        data = write(r, random_value(r))
        if len(data) <= 200:
            originals.append(data)
            add(data)
    for _ in range(300):
        data = r.choice(originals)
        for _ in range(r.choice([1, 1, 1, 2])):
            data = mutate(r, data)
        add(data)
    # duplicate keys in random documents
    for _ in range(20):
        value = {random_string(r, 4): random_value(r, 2) for _ in range(r.randint(1, 3))}
        key = r.choice(list(value))
        text = json.dumps(value)[:-1] + ", " + json.dumps(key) + ": 0}"
        add(text.encode())
    with open(OUT, "w") as f:
        json.dump(cases, f, indent=0)
        f.write("\n")
    valid = sum(c["valid"] for c in cases)
    print(f"{OUT}: {len(cases)} cases, {valid} valid, {len(cases) - valid} invalid, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()

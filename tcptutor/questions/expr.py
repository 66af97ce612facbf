"""A small, safe arithmetic language for computed numeric answers (no eval).

`compile_expr("(1 - a) * srtt + a * r", names)` parses with `ast.parse(mode="eval")` and
keeps only a whitelist: number literals, the given names, + - * / // % **, unary + -,
`x if cond else y` with comparisons (and `and`, `or`, `not`), and calls of a few math
functions. Anything else, an unknown name included, is an ExprError: the content checker
reports it at the question's line. Evaluation never raises anything but ExprError either:
division by zero, a huge power, an overflow or a non-finite result are all ExprErrors.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..i18n import N_, Said

MAX_CHARS = 500  # an answer formula is a line; a longer one is a mistake, and parsing it costs
MAX_DEPTH = 40  # nesting of the parsed tree (ast.parse itself recurses: keep it shallow)
MAX_EXPONENT = 1000  # |exponent| of **: 2 ** 10**9 would hang the checker
MAX_MAGNITUDE = 1e300  # a whole-number result past this becomes an error, not a 300-digit int


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated; the message (a Said: i18n.reason) says why."""


def _floor(x):
    return math.floor(x)


def _ceil(x):
    return math.ceil(x)


def _round(x, ndigits=None):
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or not -20 <= ndigits <= 20:
        raise ExprError(Said(N_("round(x, n) needs a whole n between -20 and 20")))
    return round(x, ndigits)


def _log(x, base=None):
    if x <= 0 or (base is not None and (base <= 0 or base == 1)):
        raise ExprError(Said(N_("log of a number <= 0 (or to base <= 0 or 1)")))
    return math.log(x) if base is None else math.log(x, base)


def _log2(x):
    if x <= 0:
        raise ExprError(Said(N_("log2 of a number <= 0")))
    return math.log2(x)


def _sqrt(x):
    if x < 0:
        raise ExprError(Said(N_("sqrt of a negative number")))
    return math.sqrt(x)


# name -> (function, fewest arguments, most arguments)
FUNCTIONS = {
    "min": (min, 1, 16), "max": (max, 1, 16), "abs": (abs, 1, 1), "sqrt": (_sqrt, 1, 1),
    "floor": (_floor, 1, 1), "ceil": (_ceil, 1, 1), "round": (_round, 1, 2),
    "log": (_log, 1, 2), "log2": (_log2, 1, 1), "exp": (math.exp, 1, 1),
}
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


@dataclass(frozen=True)
class Expr:
    """A checked expression: its text and the names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, float]) -> float | int:
        try:
            value = _eval(self.tree, env)
        except ExprError:
            raise
        except (ArithmeticError, LookupError, ValueError, TypeError, RecursionError, MemoryError) as err:
            raise ExprError(f"{self.text!r}: {type(err).__name__}: {err}") from None
        return _finite(value, self.text)


def compile_expr(text: str, names: Iterable[str]) -> Expr:
    """Parse `text` and check it uses only the whitelist and the given names."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError(Said(N_("an expression must be a non-empty string")))
    if len(text) > MAX_CHARS:
        raise ExprError(Said(N_("expression is {length} characters; at most {most}"), length=len(text), most=MAX_CHARS))
    if "\n" in text or "\r" in text:
        raise ExprError(Said(N_("an expression is one line")))
    if _nesting(text) > MAX_DEPTH:
        raise ExprError(Said(N_("expression nests deeper than {depth} levels"), depth=MAX_DEPTH))
    try:
        with warnings.catch_warnings():  # "1if x" warns on stderr; the author sees our message instead
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        msg = getattr(err, "msg", None) or str(err) or type(err).__name__
        raise ExprError(Said(N_("cannot parse {text!r}: {msg}"), text=text, msg=msg)) from None  # msg: Python's own
    known = set(names)
    used: set[str] = set()
    _check(tree, known, used, text, 0)
    return Expr(text, tree, frozenset(used))


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def _check(node: ast.AST, known: set[str], used: set[str], text: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExprError(Said(N_("{text!r}: nests deeper than {depth} levels"), text=text, depth=MAX_DEPTH))
    sub = depth + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExprError(Said(N_("{text!r}: only numbers are allowed, not {value!r}"), text=text, value=node.value))
        return
    if isinstance(node, ast.Name):
        if node.id not in known:
            if not known:
                raise ExprError(Said(N_("{text!r}: unknown name {name!r}; known names: none"), text=text, name=node.id))
            raise ExprError(Said(N_("{text!r}: unknown name {name!r}; known names: {known}"), text=text, name=node.id,
                                 known=", ".join(sorted(known))))
        used.add(node.id)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        _check(node.left, known, used, text, sub)
        _check(node.right, known, used, text, sub)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub, ast.Not)):
        _check(node.operand, known, used, text, sub)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, known, used, text, sub)
        return
    if isinstance(node, ast.Compare) and all(isinstance(op, _COMPARE) for op in node.ops):
        for v in (node.left, *node.comparators):
            _check(v, known, used, text, sub)
        return
    if isinstance(node, ast.IfExp):
        for v in (node.test, node.body, node.orelse):
            _check(v, known, used, text, sub)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = ast.unparse(node.func) if hasattr(ast, "unparse") else "?"
            raise ExprError(Said(N_("{text!r}: {shown!r} is not a known function; known: {known}"), text=text, shown=shown,
                                 known=", ".join(FUNCTIONS)))
        if node.keywords:
            raise ExprError(Said(N_("{text!r}: {function}() takes no keyword arguments"), text=text, function=node.func.id))
        _, lo, hi = FUNCTIONS[node.func.id]
        if not lo <= len(node.args) <= hi:
            if lo == hi:
                raise ExprError(Said(N_("{text!r}: {function}() takes {lo} argument(s)"), text=text, function=node.func.id,
                                     lo=lo))
            raise ExprError(Said(N_("{text!r}: {function}() takes {lo} to {hi} argument(s)"), text=text,
                                 function=node.func.id, lo=lo, hi=hi))
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise ExprError(Said(N_("{text!r}: no * arguments"), text=text))
            _check(a, known, used, text, sub)
        return
    raise ExprError(Said(N_("{text!r}: {node} is not allowed in an expression (numbers, names, + - * / // % **, "
                            "comparisons, x if c else y, and {functions})"), text=text, node=type(node).__name__,
                         functions=", ".join(FUNCTIONS)))


def _finite(value, text: str):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if abs(value) > MAX_MAGNITUDE:
            raise ExprError(Said(N_("{text!r}: the result is too large"), text=text))
        return value
    if not isinstance(value, float) or not math.isfinite(value):
        raise ExprError(Said(N_("{text!r}: the result is not a finite number"), text=text))
    return value


def _eval(node: ast.AST, env: Mapping[str, float]):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return not v
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env), _eval(node.right, env)
        return _binary(node.op, a, b)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result = True
            for v in node.values:
                result = _eval(v, env)
                if not result:
                    return result
            return result
        result = False
        for v in node.values:
            result = _eval(v, env)
            if result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, env)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _eval(node.body, env) if _eval(node.test, env) else _eval(node.orelse, env)
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id][0]
        return _finite(fn(*(_eval(a, env) for a in node.args)), node.func.id)
    raise ExprError(Said(N_("{node} is not allowed"), node=type(node).__name__))  # _check let nothing else through


def _compare(op, a, b) -> bool:
    if isinstance(op, ast.Lt):
        return a < b
    if isinstance(op, ast.LtE):
        return a <= b
    if isinstance(op, ast.Gt):
        return a > b
    if isinstance(op, ast.GtE):
        return a >= b
    if isinstance(op, ast.Eq):
        return a == b
    return a != b


def _binary(op, a, b):
    if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0:
        raise ExprError(Said(N_("division by zero")))
    if isinstance(op, ast.Pow):
        if abs(b) > MAX_EXPONENT:
            raise ExprError(Said(N_("exponent {b} is too large (at most {most})"), b=b, most=MAX_EXPONENT))
        if a == 0 and b < 0:
            raise ExprError(Said(N_("0 to a negative power")))
        if a < 0 and not float(b).is_integer():
            raise ExprError(Said(N_("a negative number to a fractional power")))
        result = math.pow(a, b)  # float: OverflowError instead of a 3000-digit integer
        if isinstance(a, int) and isinstance(b, int) and b >= 0 and abs(result) <= 2**53:
            return int(a) ** int(b)
        return result
    if isinstance(op, ast.Add):
        result = a + b
    elif isinstance(op, ast.Sub):
        result = a - b
    elif isinstance(op, ast.Mult):
        result = a * b
    elif isinstance(op, ast.Div):
        result = a / b
    elif isinstance(op, ast.FloorDiv):
        result = a // b
    else:
        result = a % b
    if isinstance(result, int) and not isinstance(result, bool) and abs(result) > MAX_MAGNITUDE:
        raise ExprError(Said(N_("an intermediate result is too large")))
    if isinstance(result, float) and not math.isfinite(result):
        raise ExprError(Said(N_("an intermediate result is not a finite number")))
    return result


def format_number(value) -> str:
    """A value as a prompt shows it: whole numbers without '.0', others to at most 4
    decimals (4 significant digits below 1), never in exponent form."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1:
        text = f"{value:.4f}"
    else:
        digits = 4 - 1 - math.floor(math.log10(abs(value)))  # 4 significant digits
        text = f"{value:.{min(digits, 15)}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

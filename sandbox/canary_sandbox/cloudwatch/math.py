"""The per-datapoint subset of CloudWatch metric math, for metric math alarms.

Supported: query ids, numbers, + - * /, unary minus and parentheses, the comparisons
== != < <= > >= (1 when true, 0 when false), IF(condition, a, b) and FILL(m, number),
e.g. the usual error-rate alarm `100 * m2 / m1`, or a rate comparison with a minimum
sample `IF(m1 >= 20, 100 * FILL(m2, 0) / m1 - 100 * FILL(m4, 0) / FILL(m3, 1), 0)`.
Other functions (SUM, METRICS, FILL with REPEAT or LINEAR, ...), AND/OR and metric
insights queries are not: such alarms are reported as unsupported and left alone.
Like CloudWatch, math works timestamp by timestamp over the periods the alarm looks at;
a timestamp where an operand has no value, or that divides by zero, has no value in the
result, except where FILL gives the missing value, and IF takes only the branch its
condition picks (IF(c, a, b) is a where c is nonzero, b where it is zero, nothing where c
has no value).
"""

import ast
import operator

from .evaluation import UnsupportedAlarm

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARISONS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_FUNCTIONS = {"IF": 3, "FILL": 2}  # name -> number of arguments


class Expression:
    def __init__(self, text):
        self.text = text
        try:
            self._tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as error:
            raise UnsupportedAlarm(f"metric math expression {text!r} uses more than the sandbox evaluates, or is not valid: {error.msg}") from None
        self.ids = set()
        self._check(self._tree)

    def _check(self, node):
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            self._check(node.operand)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
            self._check(node.left)
            self._check(node.comparators[0])
        elif isinstance(node, ast.Call) and self._function(node):
            for argument in node.args:
                self._check(argument)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            pass
        elif isinstance(node, ast.Name):
            self.ids.add(node.id)
        else:
            raise UnsupportedAlarm(
                f"metric math expression {self.text!r} uses more than the sandbox evaluates (+ - * /, comparisons, IF and FILL with a "
                "number, on query ids and numbers)"
            )

    def _function(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCTIONS or node.keywords or len(node.args) != _FUNCTIONS[name]:
            return False
        if name == "FILL":
            fill = node.args[1]
            negative = isinstance(fill, ast.UnaryOp) and isinstance(fill.op, ast.USub)
            number = fill.operand if negative else fill
            return isinstance(number, ast.Constant) and isinstance(number.value, (int, float)) and not isinstance(number.value, bool)
        return True

    def value(self, values):
        """The expression at one timestamp; values maps query id -> number or None."""
        try:
            return self._value(self._tree, values)
        except ZeroDivisionError:
            return None

    def _value(self, node, values):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return values.get(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self._value(node.operand, values)
            return None if operand is None else (-operand if isinstance(node.op, ast.USub) else operand)
        if isinstance(node, ast.Call):
            return self._call(node.func.id, node.args, values)
        if isinstance(node, ast.Compare):
            left, right = self._value(node.left, values), self._value(node.comparators[0], values)
            return None if left is None or right is None else float(_COMPARISONS[type(node.ops[0])](left, right))
        left = self._value(node.left, values)
        right = self._value(node.right, values)
        if left is None or right is None:
            return None
        return _OPERATORS[type(node.op)](left, right)

    def _call(self, name, arguments, values):
        if name == "FILL":
            found = self._value(arguments[0], values)
            return self._value(arguments[1], values) if found is None else found
        condition = self._value(arguments[0], values)  # IF
        if condition is None:
            return None
        return self._value(arguments[1] if condition else arguments[2], values)

"""The arithmetic subset of CloudWatch metric math, for metric math alarms.

Supported: query ids, numbers, + - * /, unary minus and parentheses, e.g. the usual
error-rate alarm `100 * m2 / m1`. Functions (SUM, FILL, IF, METRICS, ...) and metric
insights queries are not: such alarms are reported as unsupported and left alone.
Like CloudWatch, arithmetic works timestamp by timestamp; a timestamp where an operand
has no value, or that divides by zero, has no value in the result.
"""

import ast
import operator

from .evaluation import UnsupportedAlarm

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class Expression:
    def __init__(self, text):
        self.text = text
        try:
            self._tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as error:
            raise UnsupportedAlarm(f"metric math expression {text!r} is not valid: {error.msg}") from None
        self.ids = set()
        self._check(self._tree)

    def _check(self, node):
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            self._check(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            pass
        elif isinstance(node, ast.Name):
            self.ids.add(node.id)
        else:
            raise UnsupportedAlarm(
                f"metric math expression {self.text!r} uses more than arithmetic (+ - * / on query ids and numbers): the sandbox does not evaluate it"
            )

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
        left = self._value(node.left, values)
        right = self._value(node.right, values)
        if left is None or right is None:
            return None
        return _OPERATORS[type(node.op)](left, right)

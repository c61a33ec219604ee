"""The table cells every page repeats, as Python (Jinja globals): the same HTML as the macros
they replace in ``_macros.html``, at a fraction of a macro call's cost (a clinic dashboard has
several hundred such cells, and a network thousands of dashboards).

Each takes the calling template's context, for ``suppressed`` (the text of a hidden figure).
"""
from __future__ import annotations

import jinja2
from markupsafe import Markup, escape

from pipeline.reports import fmt


def _num(text, extra, field, suppressed) -> str:
    classes = "num" + (" " + str(extra) if extra else "") + (" sup" if text == suppressed else "")
    attr = f' data-field="{escape(field)}"' if field else ""
    return f'<td class="{escape(classes)}"{attr}>{escape(text)}</td>\n'


@jinja2.pass_context
def num(context, text, extra="", field=None) -> Markup:
    """A cell of formatted text; suppressed figures read in grey italics."""
    return Markup(_num(text, extra, field, context["suppressed"]))


@jinja2.pass_context
def hidden(context, columns) -> Markup:
    """Several suppressed figures side by side, as one cell."""
    return Markup(f'<td class="sup" colspan="{escape(columns)}">{escape(context["suppressed"])}</td>\n')


@jinja2.pass_context
def count(context, value, field=None) -> Markup:
    """A count of episodes or sessions (None: suppressed); marked "count" for the privacy test."""
    suppressed = context["suppressed"]
    return Markup(_num(fmt.count(value) if value is not None else suppressed, "count", field, suppressed))


def _estimate(text, suppressed) -> str:
    head, sep, tail = str(text).partition(" [")
    ci = f'<span class="ci">[{escape(tail)}</span>' if sep else ""
    return f'<td class="num{" sup" if text == suppressed else ""}">{escape(head)}{ci}</td>\n'


@jinja2.pass_context
def estimate(context, text) -> Markup:
    """An estimate with its CI on a second, smaller line: "0.78" over "[0.71, 0.85]"."""
    return Markup(_estimate(text, context["suppressed"]))


@jinja2.pass_context
def effect_cells(context, row, text) -> Markup:
    """n, mean improvement, g_z and responder rate of one effect-size row (``text``: its fmt.effect_row)."""
    suppressed = context["suppressed"]
    if row is None:
        return Markup("<td></td><td></td><td></td><td></td>\n")
    if row["suppressed"]:
        return Markup(f'<td class="sup" colspan="4">{escape(suppressed)}</td>\n')
    return Markup(_num(text["n"], "count", None, suppressed) + _num(text["improvement"], "", None, suppressed)
                  + _estimate(text["g_z"], suppressed) + _estimate(text["responder_rate"], suppressed))


@jinja2.pass_context
def rows(context, value) -> Markup:
    """A count of file rows (data quality; not people)."""
    return Markup(f'<td class="num rows">{escape(fmt.count(value) if value is not None else "–")}</td>\n')


GLOBALS = {f"cell_{f.__name__}": f for f in (num, hidden, count, estimate, effect_cells, rows)}

"""{% customer_todo_panel %}: the signed-in customer's 待办 — what to do next on each live
application, with its link — for pages outside origination (home, my loans)."""

from __future__ import annotations

from django import template

from origination.selectors.todo import customer_todos

register = template.Library()


@register.inclusion_tag("origination/apply/_todo.html", takes_context=True)
def customer_todo_panel(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"todos": customer_todos(user), "show_ref": True}

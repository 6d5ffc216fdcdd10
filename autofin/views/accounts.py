"""Signing in, re-authenticating before a money action, and the home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from autofin.forms import ReauthForm, ThrottledAuthenticationForm
from autofin.models import SecurityEventKind
from autofin.reauth import reauth_mark
from autofin.security_log import security_event_record


def home(request):
    return render(request, "autofin/home.html")


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def reauth(request):
    """Re-enter the password before a money action; then back to the page it came from."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "home"
    form = ReauthForm(request.POST or None, request=request)
    if request.method == "POST":
        if form.is_valid():
            reauth_mark(request)
            security_event_record(kind=SecurityEventKind.REAUTH_SUCCESS, request=request)
            return redirect(next_url)
        security_event_record(kind=SecurityEventKind.REAUTH_FAILURE, request=request)
    return render(request, "registration/reauth.html", {"form": form, "next": next_url})

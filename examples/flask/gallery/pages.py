"""The site's pages: home, sign-in kept in the session, a page only a signed-in visitor may see."""

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

blueprint = Blueprint("pages", __name__)


@blueprint.route("/")
def home():  # type: ignore[no-untyped-def]
    session["visits"] = session.get("visits", 0) + 1
    return render_template("home.html", visits=session["visits"], user=session.get("user"))


@blueprint.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if name:
            session["user"] = name
            return redirect(url_for("pages.private"))
    return render_template("login.html")


@blueprint.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    session.pop("user", None)
    return redirect(url_for("pages.home"))


@blueprint.route("/private")
def private():  # type: ignore[no-untyped-def]
    if "user" not in session:
        abort(403)
    return render_template("private.html", user=session["user"])


@blueprint.route("/boom")
def boom():  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug in a view: the 500 handler renders the page")

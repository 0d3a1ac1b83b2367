"""Uploads: store a file, describe it, send it back with send_file, and a streamed listing."""

import hashlib
import os
import time

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request, send_file,
                   stream_with_context, url_for)
from werkzeug.utils import secure_filename

blueprint = Blueprint("files", __name__)


def _path(name: str) -> str:
    safe = secure_filename(name)
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], safe)
    if not safe or not os.path.isfile(path):
        abort(404)
    return path


@blueprint.route("/", methods=["GET", "POST"])
def upload():  # type: ignore[no-untyped-def]
    if request.method == "POST":
        sent = request.files.get("file")
        if sent is None or not secure_filename(sent.filename or ""):
            return render_template("upload.html", error="Choose a file to upload."), 400
        sent.save(os.path.join(current_app.config["UPLOAD_FOLDER"], secure_filename(sent.filename or "")))
        return redirect(url_for("files.describe", name=secure_filename(sent.filename or "")))
    return render_template("upload.html", error=None)


@blueprint.route("/<name>")
def describe(name: str):  # type: ignore[no-untyped-def]
    path = _path(name)
    with open(path, "rb") as stored:
        digest = hashlib.sha256(stored.read()).hexdigest()
    return render_template("file.html", name=os.path.basename(path), size=os.path.getsize(path), sha256=digest)


@blueprint.route("/<name>/raw")
def raw(name: str):  # type: ignore[no-untyped-def]
    # conditional=True (the default) answers Range and If-None-Match from the file itself.
    return send_file(_path(name), as_attachment=request.args.get("download") == "1")


@blueprint.route("/stream")
def stream():  # type: ignore[no-untyped-def]
    """Lines of a report, produced one by one; stream_with_context keeps `request` usable inside the generator."""

    @stream_with_context
    def lines():  # type: ignore[no-untyped-def]
        count = min(request.args.get("lines", 5, type=int), 50)
        for number in range(1, count + 1):
            yield f"{request.args.get('prefix', 'line')} {number} of {count}\n"
            time.sleep(0.2)

    return Response(lines(), mimetype="text/plain")

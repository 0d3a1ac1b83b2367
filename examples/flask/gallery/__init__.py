"""A small file gallery: two blueprints, Jinja templates, a signed-cookie session, uploads and error pages."""

import os
import tempfile

from flask import Flask, render_template


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        # Every worker must sign sessions with the same key; a real site reads it from its secrets.
        SECRET_KEY=os.environ.get("GALLERY_SECRET_KEY", "pyhost-example-not-for-production"),
        UPLOAD_FOLDER=os.environ.get("GALLERY_UPLOADS", os.path.join(tempfile.gettempdir(), "gallery-uploads")),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    from . import files, pages

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(files.blueprint, url_prefix="/files")

    @app.errorhandler(403)
    def forbidden(error: Exception):  # type: ignore[no-untyped-def]
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error: Exception):  # type: ignore[no-untyped-def]
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(error: Exception):  # type: ignore[no-untyped-def]
        return render_template("errors/413.html", limit=app.config["MAX_CONTENT_LENGTH"]), 413

    @app.errorhandler(500)
    def server_error(error: Exception):  # type: ignore[no-untyped-def]
        return render_template("errors/500.html"), 500

    return app

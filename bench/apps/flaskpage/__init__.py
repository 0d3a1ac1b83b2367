"""A Flask page rendered from a Jinja template: what a small Flask site's typical view costs."""

from flask import Flask, render_template

app = Flask(__name__)

PRODUCTS = [{"id": n, "name": f"Product {n}", "price": 100 + 7 * n, "tags": ["new", "sale"][: n % 3]} for n in range(20)]


@app.route("/")
def page():
    return render_template("page.html", title="Catalogue", products=PRODUCTS)

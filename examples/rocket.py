"""The example a newcomer runs first: `gunicornpp -w 2 rocket:app` (Flask)."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from gunicornpp!\n"


@app.route("/echo", methods=["POST"])
def echo():
    return request.get_data(), 200, {"Content-Type": request.content_type or "application/octet-stream"}


@app.route("/hello/<name>")
def hello(name):
    return jsonify(greeting=f"Hello, {name}!", server=request.environ.get("SERVER_SOFTWARE"))

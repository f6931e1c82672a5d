"""Flask peer: /plaintext and /json (TechEmpower's definitions).  gunicorn --chdir bench/peers/flask app:app"""

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/plaintext")
def plaintext():
    return Response("Hello, World!", mimetype="text/plain")


@app.get("/json")
def json():
    return jsonify(message="Hello, World!")

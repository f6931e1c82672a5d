"""Python Falcon peer: the same endpoints as Peregrine's benchmarks.

/plaintext and /json follow TechEmpower's definitions; /users/ and /users/{user_id:int} are the users API
from examples/users on PostgreSQL (DATABASE_URL), with a psycopg connection pool, as the Falcon articles
build it. POST /predict serves examples/predict's network (MODEL_PATH, default model/cnn.onnx) with Pillow and
onnxruntime, one image per request as examples/predict takes it ({"image": base64}), and answers as it does. GET /sections is examples/catalogue's list with its cache off (the same
SQL on the same tables). Run under gunicorn:  gunicorn -w 1 -b 127.0.0.1:8002 app:app
"""

import base64
import hashlib
import io
import os

import numpy as np
import onnxruntime
from PIL import Image

import falcon
import psycopg
import psycopg_pool
from psycopg.rows import dict_row

DATABASE_URL = os.environ.get("DATABASE_URL")
POOL = None
if DATABASE_URL:
    POOL = psycopg_pool.ConnectionPool(
        DATABASE_URL, min_size=1, max_size=int(os.environ.get("POOL_SIZE", "10")), open=True
    )


class Plaintext:
    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Json:
    def on_get(self, req, resp):
        resp.media = {"message": "Hello, World!"}


class Users:
    def on_get(self, req, resp):
        limit = req.get_param_as_int("limit", min_value=1, max_value=1000, default=100)
        marker = req.get_param_as_int("marker", default=0)
        with POOL.connection() as conn:
            rows = conn.execute(
                "SELECT id, username FROM orguser WHERE id > %s ORDER BY id LIMIT %s",
                (marker, limit),
                prepare=True,
            ).fetchall()
        resp.media = [{"id": r[0], "username": r[1]} for r in rows]

    def on_post(self, req, resp):
        username = (req.get_media() or {}).get("username")
        if not isinstance(username, str) or not 0 < len(username) <= 50:
            raise falcon.HTTPUnprocessableEntity(title="Invalid username")
        with POOL.connection() as conn:
            try:
                row = conn.execute(
                    "INSERT INTO orguser (username) VALUES (%s) RETURNING id", (username,)
                ).fetchone()
            except psycopg.errors.UniqueViolation:
                raise falcon.HTTPConflict(title="Username taken")
        resp.status = falcon.HTTP_201
        resp.location = f"/users/{row[0]}"
        resp.media = {"id": row[0], "username": username}

    def on_delete_item(self, req, resp, user_id):
        with POOL.connection() as conn:
            cur = conn.execute("DELETE FROM orguser WHERE id = %s", (user_id,))
        if cur.rowcount == 0:
            raise falcon.HTTPNotFound()
        resp.status = falcon.HTTP_204

    def on_get_item(self, req, resp, user_id):
        with POOL.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            row = cur.execute(
                "SELECT id, username FROM orguser WHERE id = %s", (user_id,), prepare=True
            ).fetchone()
        if row is None:
            raise falcon.HTTPNotFound()
        resp.media = row


COUNTRIES = {"ZA", "NG", "KE", "GH", "EG", "MA", "TZ", "UG", "GB", "NL", "PL", "US"}
DEVICES = {"android", "ios", "web", "tv"}
VISIBLE = (
    "(countries = '' OR countries LIKE %s) AND (devices = '' OR devices LIKE %s) AND min_version_key <= %s"
)


def version_key(text):
    """1 to 4 dot-separated parts of up to 4 digits as one ordered integer, or None."""
    parts = text.split(".")
    if len(parts) > 4 or any(not p.isascii() or not p.isdigit() or len(p) > 4 for p in parts):
        return None
    key = 0
    for i in range(4):
        key = key * 10000 + (int(parts[i]) if i < len(parts) else 0)
    return key


class Sections:
    def on_get(self, req, resp):
        country = (req.get_param("country") or "").upper()
        if not country:
            resp.vary = ("X-Country",)
            edge = (req.get_header("X-Country") or "").strip().upper()
            country = edge if edge in COUNTRIES else ""
        elif country not in COUNTRIES:
            raise falcon.HTTPInvalidParam("Allowed values: " + ", ".join(sorted(COUNTRIES)), "country")
        device = (req.get_param("device") or "").lower()
        if device and device not in DEVICES:
            raise falcon.HTTPInvalidParam("Allowed values: " + ", ".join(sorted(DEVICES)), "device")
        key = 0
        if req.get_param("app_version"):
            key = version_key(req.get_param("app_version"))
            if key is None:
                raise falcon.HTTPInvalidParam("Such as 5.2 or 5.10.1.", "app_version")
        limit = req.get_param_as_int("limit", min_value=1, max_value=100) or 20
        marker = req.get_param("marker")
        with POOL.connection() as conn:
            after = None
            if marker:
                row = conn.execute("SELECT position FROM section WHERE slug = %s", (marker,), prepare=True).fetchone()
                if row is None:
                    raise falcon.HTTPInvalidParam("It names no section.", "marker")
                after = row[0]
            rows = conn.execute(
                "SELECT slug, name, position FROM section WHERE " + VISIBLE + " ORDER BY position",
                (f"%,{country},%" if country else "", f"%,{device},%" if device else "", key),
                prepare=True,
            ).fetchall()
        items = [{"name": r[1], "slug": r[0]} for r in rows if after is None or r[2] > after]
        page = {"count": min(limit, len(items)), "items": items[:limit], "remaining": max(0, len(items) - limit)}
        body = falcon.media.JSONHandler().serialize(page, falcon.MEDIA_JSON)
        resp.etag = hashlib.blake2b(body, digest_size=8).hexdigest()
        resp.cache_control = ("public", "max-age=60")
        if req.if_none_match and any(t == resp.etag for t in req.if_none_match):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = falcon.MEDIA_JSON
        resp.data = body


MODEL_PATH = os.environ.get(
    "MODEL_PATH",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "predict", "model", "cnn.onnx"),
)
SIZE = 16


class Predict:
    """POST {"image": "<base64 PNG or JPEG>"}: decoded with Pillow, laid on white, gray, 16x16, ink = 1."""

    def __init__(self, path):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def on_post(self, req, resp):
        data = (req.get_media() or {}).get("image")
        if not isinstance(data, str):
            raise falcon.HTTPBadRequest(title="Invalid image")
        try:
            raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ("PNG", "JPEG"):
                raise ValueError(image.format)
            image = image.convert("RGBA")
        except (ValueError, OSError, Image.DecompressionBombError):
            raise falcon.HTTPBadRequest(title="Invalid image")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        gray = Image.alpha_composite(paper, image).convert("L")
        if gray.size != (SIZE, SIZE):
            gray = gray.resize((SIZE, SIZE), Image.BILINEAR)
        pixels = 1.0 - np.asarray(gray, dtype=np.float32).reshape(1, 1, SIZE, SIZE) / 255.0
        probabilities = self.session.run(None, {"image": pixels})[0][0]
        label = int(probabilities.argmax())
        resp.media = {
            "label": label,
            "confidence": float(probabilities[label]),
            "probabilities": probabilities.tolist(),
        }


app = falcon.App()
app.add_route("/predict", Predict(MODEL_PATH))
app.add_route("/plaintext", Plaintext())
app.add_route("/json", Json())
if POOL is not None:
    users = Users()
    app.add_route("/users/", users)
    app.add_route("/users/{user_id:int}", users, suffix="item")
    app.add_route("/sections", Sections())

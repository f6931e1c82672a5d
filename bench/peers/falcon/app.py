"""Python Falcon peer: the same endpoints as Peregrine's benchmarks.

/plaintext and /json follow TechEmpower's definitions; /users/ and /users/{user_id:int} are the users API
from examples/users on PostgreSQL (DATABASE_URL), with a psycopg connection pool, as the Falcon articles
build it. Run under gunicorn:  gunicorn -w 1 -b 127.0.0.1:8002 app:app
"""

import os

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


app = falcon.App()
app.add_route("/plaintext", Plaintext())
app.add_route("/json", Json())
if POOL is not None:
    users = Users()
    app.add_route("/users/", users)
    app.add_route("/users/{user_id:int}", users, suffix="item")
